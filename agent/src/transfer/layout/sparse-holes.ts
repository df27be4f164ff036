/**
 * Holes of a sparse image file, from SEEK_HOLE/SEEK_DATA (Node 20 has neither: the native addon
 * of file-level transfer provides them). Content we cannot interpret is otherwise read whole to
 * find its all-zero chunks; a hole is zeros by definition, so it need not be read at all.
 */
import type { FileHandle } from "node:fs/promises";
import type { ByteRange } from "../byte-ranges";
import { loadNativeFs, type NativeFs } from "../files/native/native-fs";

export interface Hole {
  start: number;
  end: number;
}

/**
 * The holes of a regular file below `size`, each shrunk to whole cells of `alignBytes` (the chunk
 * grid: a chunk is then either skipped whole or read whole). Null when the file cannot be asked:
 * not a regular file (a block device), no addon (no C compiler on this host), or a filesystem
 * that refuses SEEK_HOLE. The caller then reads everything, as without this.
 */
export async function findFileHoles(
  handle: FileHandle,
  size: number,
  alignBytes: number,
  loadNative: () => NativeFs = loadNativeFs,
): Promise<Hole[] | null> {
  if (!(await handle.stat()).isFile()) return null;
  let native: NativeFs;
  try {
    native = loadNative();
  } catch {
    return null;
  }
  const holes: Hole[] = [];
  try {
    let pos = 0;
    while (pos < size) {
      // -1 (ENXIO) past the end of the file; a file's end counts as the start of a hole.
      const holeStart = native.seekData(handle.fd, pos, true);
      if (holeStart < 0 || holeStart >= size) break;
      const dataStart = native.seekData(handle.fd, holeStart, false);
      const holeEnd = dataStart < 0 || dataStart > size ? size : dataStart;
      const start = Math.ceil(holeStart / alignBytes) * alignBytes;
      const end = holeEnd === size ? size : Math.floor(holeEnd / alignBytes) * alignBytes;
      if (end > start) holes.push({ start, end });
      pos = holeEnd;
    }
  } catch {
    return null;
  }
  return holes;
}

/** Turns the parts of "scan" ranges that lie in holes into "hole" ranges; other ranges stay as they are. */
export function markHoles(ranges: readonly ByteRange[], holes: readonly Hole[]): ByteRange[] {
  if (holes.length === 0) return [...ranges];
  const out: ByteRange[] = [];
  for (const r of ranges) {
    if (r.mode !== "scan") {
      out.push(r);
      continue;
    }
    let pos = r.start;
    for (const h of holes) {
      if (h.end <= pos) continue;
      if (h.start >= r.end) break;
      if (h.start > pos) out.push({ start: pos, end: h.start, mode: "scan" });
      const end = Math.min(h.end, r.end);
      out.push({ start: Math.max(h.start, pos), end, mode: "hole" });
      pos = end;
    }
    if (pos < r.end) out.push({ start: pos, end: r.end, mode: "scan" });
  }
  return out;
}
