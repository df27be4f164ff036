import type { FileHandle } from "node:fs/promises";

/** Reads `length` bytes at `position`; bytes past the end of the source read as zero. */
export type ReadAt = (length: number, position: number) => Promise<Buffer>;

export function readAtFromHandle(handle: FileHandle): ReadAt {
  return async (length, position) => {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buf, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf;
  };
}

/** Fills `buf` from `position`; bytes past the end of the file read as zero. */
export async function readFullyAt(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) {
      buf.fill(0, done);
      return;
    }
    done += bytesRead;
  }
}
