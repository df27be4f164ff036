/**
 * Run by tests as its own process (node --import tsx), so the loader starts with nothing loaded
 * and sees only the environment the test gives it (CC, XDG_CACHE_HOME): prepares the addon
 * against the console at argv[2], then lstats argv[3] through it. Prints one JSON line.
 */
import { loadNativeFs, ST } from "../native/native-fs";
import { prepareNativeFs } from "../native/prepare-native-fs";

const [consoleUrl, probe] = process.argv.slice(2);
try {
  const outcome = await prepareNativeFs({ consoleUrl: new URL(consoleUrl!) });
  const stat = loadNativeFs().lstat(Buffer.from(probe!));
  process.stdout.write(`${JSON.stringify({ ...outcome, ino: stat ? stat[ST.ino] : null, mode: stat ? stat[ST.mode] : null })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  process.exitCode = 1;
}
