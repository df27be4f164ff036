import { execFile } from "node:child_process";
import type { FileHandle } from "node:fs/promises";
import { promisify } from "node:util";
import { readWriteMountedRanges } from "./layout/mounted-ranges";

const run = promisify(execFile);

/** How long one filesystem may take to write back before the pass gives up with a clear error. */
const FLUSH_TIMEOUT_MS = 10 * 60_000;

/**
 * Writes back what the filesystems mounted from a source disk hold in memory, before the disk
 * is read. A block device shows only what has reached it: the last writes of a service stopped
 * just before the final pass would otherwise be missing from the copy, and with delayed
 * allocation their blocks would not even be allocated yet. `sync -f` syncs one filesystem
 * (syncfs), so a hung network mount elsewhere cannot stall the pass. Returns the mount points.
 */
export async function flushMountedFilesystems(handle: FileHandle, what: string): Promise<string[]> {
  const mounted = await readWriteMountedRanges(handle).catch(() => []);
  const points = [...new Set(mounted.flatMap((m) => m.mountPoints))];
  for (const point of points) {
    try {
      await run("sync", ["-f", point], { timeout: FLUSH_TIMEOUT_MS });
    } catch (error) {
      const failure = error as Error & { killed?: boolean };
      // coreutils before 8.24 (RHEL 7, say) has no -f: a whole-system sync does it too.
      const isTimeout = failure.killed === true;
      const fallback = isTimeout ? failure : await run("sync", [], { timeout: FLUSH_TIMEOUT_MS }).then(() => null, (e: Error) => e);
      if (fallback) throw new Error(`cannot write back the filesystem mounted at ${point} before reading ${what} (sync: ${fallback.message.split("\n")[0]})`);
    }
  }
  return points;
}
