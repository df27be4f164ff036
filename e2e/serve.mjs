// Serves the console for the browser tests on a database of its own: a fresh database on the
// server named by DATABASE_URL, or a fresh embedded one in a temporary folder.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { ensureBuild } from "../server/bin/ensure-build.mjs";

const root = process.cwd();
const port = process.env.E2E_PORT ?? "3100"; // playwright.config.ts picks a free one
const env = { ...process.env, PORT: port, NEXTAUTH_URL: `http://localhost:${port}`, NEXT_TELEMETRY_DISABLED: "1" };
let cleanup = async () => {};

if (process.env.DATABASE_URL) {
  const name = `ferry_e2e_${Date.now()}`;
  const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  env.DATABASE_URL = url.toString();
  cleanup = async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  };
  console.log(`[e2e] database ${name} on the PostgreSQL server`);
}
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-e2e-"));
env.FERRY_DATA_DIR = dataDir;
console.log(`[e2e] data folder ${dataDir}`);

// Tests that start more processes against this console (agents, a second console instance for the
// scale-out check) read where its database and data folder are from here.
fs.mkdirSync(path.join(root, "e2e", ".artifacts"), { recursive: true });
fs.writeFileSync(
  path.join(root, "e2e", ".artifacts", `server-${port}.json`),
  JSON.stringify({ port, dataDir, databaseUrl: env.DATABASE_URL ?? null }, null, 2),
);

ensureBuild(root);
const child = spawn(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "start", "-p", port], {
  cwd: root,
  stdio: "inherit",
  env,
});

let isStopping = false;
async function stop(signal) {
  if (isStopping) return;
  isStopping = true;
  child.kill(signal);
  await new Promise((resolve) => child.once("exit", resolve));
  await cleanup().catch((e) => console.error("[e2e] cleanup failed:", e));
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
child.on("exit", (code) => {
  if (!isStopping) process.exit(code ?? 1);
});
