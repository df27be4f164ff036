// Builds the console when there is no build yet or a source file is newer than the last one.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

// Parts of the agent are compiled into the console too: agent/src/protocol (the agent API parses
// with its schemas) and the file-transfer addon's source and key (the console builds and serves it).
const SOURCE_DIRS = ["app", "components", "server", "drizzle", "agent/src/protocol", "agent/src/transfer/files/native"];
const SOURCE_FILES = ["package.json", "next.config.js", "postcss.config.mjs", "tsconfig.json", "instrumentation.ts"];

function newestMtime(entry) {
  if (!fs.existsSync(entry)) return 0;
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

export function ensureBuild(root = process.cwd()) {
  const buildId = path.join(root, ".next", "BUILD_ID");
  const builtAt = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
  const changedAt = Math.max(...[...SOURCE_DIRS, ...SOURCE_FILES].map((e) => newestMtime(path.join(root, e))));
  if (builtAt > changedAt) return;
  console.log(builtAt ? "Sources changed since the last build; rebuilding the console…" : "Building the console (first start only)…");
  const result = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) {
    console.error("The console build failed; see the output above.");
    process.exit(result.status ?? 1);
  }
}
