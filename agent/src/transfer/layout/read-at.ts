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
