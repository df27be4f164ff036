/**
 * Touches `bytes` of memory once before a benchmark measures anything, by writing zeros into a
 * file under /dev/shm (or `dir`) and deleting it.
 *
 * A virtual machine whose memory its host backs lazily (a balloon with free page reporting, as on
 * the development machine) makes the first write into memory that was never used, or was handed
 * back to the host, several times slower than a later one: `dd` of 1.1 GiB into /dev/shm took
 * 8.4 s once and 0.9 s right after. Whichever tool happened to write first paid for it. Pages
 * freed here go back to the guest's free lists, where the tools measured next find them.
 */
import fs from "node:fs";
import path from "node:path";

export function warmMemory(bytes: number, dir = fs.existsSync("/dev/shm") ? "/dev/shm" : "/tmp"): { seconds: number } {
  const file = path.join(dir, `ferry-bench-warm-${process.pid}`);
  const piece = Buffer.alloc(64 * 1024 * 1024);
  const started = performance.now();
  const fd = fs.openSync(file, "w");
  try {
    for (let done = 0; done < bytes; done += piece.length) fs.writeSync(fd, piece, 0, Math.min(piece.length, bytes - done));
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  return { seconds: (performance.now() - started) / 1000 };
}
