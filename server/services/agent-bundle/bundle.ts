import "server-only";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { getDataDir } from "../../env";

const run = promisify(execFile);

export type AgentBundle = { file: string; sha256: string; sizeBytes: number; version: string; builtAt: Date };

export const AGENT_BUNDLE_FILE_NAME = "ferry-agent.mjs";

let building: Promise<AgentBundle> | undefined;

/**
 * The agent as one self-contained ES module (its dependencies included), built with esbuild from
 * agent/src (agent/build.mjs) the first time this console instance needs it and kept for the life
 * of the process. Building from the sources this console runs guarantees the agent speaks its
 * protocol version. The build runs as a child process so the console's own bundle does not
 * include esbuild.
 */
export function getAgentBundle(): Promise<AgentBundle> {
  building ??= buildAgentBundle().catch((error: unknown) => {
    building = undefined; // try again on the next request
    throw error;
  });
  return building;
}

async function buildAgentBundle(): Promise<AgentBundle> {
  const root = process.cwd();
  const entry = path.join(root, "agent", "src", "cli.ts");
  const build = path.join(root, "agent", "build.mjs");
  const esbuild = path.join(root, "node_modules", "esbuild");
  if (!fs.existsSync(entry) || !fs.existsSync(build) || !fs.existsSync(esbuild)) {
    throw new Error(`the agent sources or esbuild are missing (${entry}, ${esbuild}); run npm install in the console's folder`);
  }
  const outDir = path.join(getDataDir(), "agent");
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, AGENT_BUNDLE_FILE_NAME);
  const temporary = `${file}.${process.pid}.tmp`;
  const version = (JSON.parse(fs.readFileSync(path.join(root, "agent", "package.json"), "utf8")) as { version: string }).version;
  // agent/build.mjs: the agent and its worker threads' own bundles, in one file, with esbuild.
  await run(process.execPath, [build, temporary], { cwd: root, timeout: 120_000 });
  fs.chmodSync(temporary, 0o755);
  fs.renameSync(temporary, file);
  const content = fs.readFileSync(file);
  return { file, sha256: createHash("sha256").update(content).digest("hex"), sizeBytes: content.length, version, builtAt: new Date() };
}
