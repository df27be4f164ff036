/**
 * Makes sure loadNativeFs() will find an addon, before anything needs it: the agent's `source` and
 * `target` commands await this once at start-up. Order: FERRY_NATIVE_FS, the cached build, a build
 * with the system C compiler, then (only with a console, and only when FERRY_NATIVE_FS is not
 * set) the build the console made, fetched into the same cache. Direct mode has no console to ask.
 */
import fs from "node:fs";
import { fetchNativeFs, type NativeFsConsole } from "./fetch-native-fs";
import { currentNativeFsTarget, nativeFsKey } from "./native-fs-build";
import { loadNativeFs, nativeFsCachePath, NATIVE_FS_INSTALL_HINT } from "./native-fs";

/** "local": prebuilt, cached or compiled here; "console": downloaded from the console just now. */
export type NativeFsOrigin = { origin: "local" } | { origin: "console"; file: string; sha256: string };

export async function prepareNativeFs(consoleSource?: NativeFsConsole): Promise<NativeFsOrigin> {
  let localFailure: Error;
  try {
    loadNativeFs();
    return { origin: "local" };
  } catch (error) {
    localFailure = error as Error;
  }
  // An explicit prebuilt file that fails is the operator's to fix, not a reason to fetch another.
  if (!consoleSource || process.env.FERRY_NATIVE_FS) throw localFailure;

  const target = currentNativeFsTarget();
  const destination = nativeFsCachePath();
  let sha256: string;
  try {
    ({ sha256 } = await fetchNativeFs({ console: consoleSource, target, key: nativeFsKey(target), destination }));
  } catch (error) {
    const reason = localFailure.message.split(":")[0];
    throw new Error(`the file-transfer addon can neither be built here (${reason}) nor fetched from the console: ${(error as Error).message}; ${NATIVE_FS_INSTALL_HINT}`);
  }
  try {
    loadNativeFs();
  } catch (error) {
    // Left in the cache, it would be what every later load tries first.
    fs.rmSync(destination, { force: true });
    throw new Error(
      `the console's build of the file-transfer addon does not load on this server (${(error as Error).message.split("\n")[0]}); ` +
        `that happens when the console's C library is newer than this server's or of another kind (musl): ${NATIVE_FS_INSTALL_HINT}`,
    );
  }
  return { origin: "console", file: destination, sha256 };
}
