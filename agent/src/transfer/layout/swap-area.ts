import type { ByteRange } from "../byte-ranges";
import type { ReadAt } from "./read-at";

/** A Linux swap area's content is worthless after migration: only its header page is copied. */
export async function readSwapHeader(readAt: ReadAt, base: number): Promise<ByteRange[] | null> {
  for (const pageSize of [4096, 8192, 16384, 65536]) {
    const magic = (await readAt(10, base + pageSize - 10)).toString("latin1");
    if (magic === "SWAPSPACE2" || magic === "SWAP-SPACE") return [{ start: base, end: base + pageSize, mode: "data" }];
  }
  return null;
}
