#!/usr/bin/env node
// `npm run demo`: a console on its own embedded database, a local source agent and a local target
// agent with sample data, signed in with a generated key. Prints the URL and the credentials; then
// create a task in the wizard (file level, source folder as printed) and watch it migrate, sync
// and launch. Ctrl-C stops everything. The demo's data lives in ./.ferry-demo (delete it to start over).
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ensureBuild } from "./ensure-build.mjs";

const root = process.cwd();
const demoDir = path.resolve(process.env.FERRY_DEMO_DIR ?? ".ferry-demo");
const port = process.env.PORT ?? "3000";
const url = `http://localhost:${port}`;
const children = [];

function stopAll(code = 0) {
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 500);
}
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));

function start(name, args, env) {
  const log = fs.openSync(path.join(demoDir, `${name}.log`), "a");
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", log, log] });
  child.on("exit", (code) => {
    if (code && code !== 0) console.error(`${name} exited with ${code}; see ${path.join(demoDir, `${name}.log`)}`);
  });
  children.push(child);
  return child;
}

async function waitFor(what, probe, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A tiny cookie jar: next-auth's sign-in needs its CSRF cookie back, tRPC the session cookie. */
const cookies = new Map();
async function http(method, pathname, { json, form } = {}) {
  const headers = { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") };
  let body;
  if (json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(form).toString();
  }
  const response = await fetch(`${url}${pathname}`, { method, headers, body, redirect: "manual" });
  for (const line of response.headers.getSetCookie?.() ?? []) {
    const [pair] = line.split(";");
    const index = pair.indexOf("=");
    cookies.set(pair.slice(0, index), pair.slice(index + 1));
  }
  return response;
}

async function trpc(procedure, input, kind = "mutation") {
  const response =
    kind === "query"
      ? await http("GET", `/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`)
      : await http("POST", `/api/trpc/${procedure}`, { json: { json: input } });
  const payload = await response.json();
  if (!response.ok) throw new Error(`${procedure}: ${payload?.error?.json?.message ?? response.status}`);
  return payload.result.data.json;
}

function makeSampleData() {
  const source = path.join(demoDir, "sample-source");
  if (!fs.existsSync(source)) {
    fs.mkdirSync(path.join(source, "etc/app"), { recursive: true });
    fs.mkdirSync(path.join(source, "var/www"), { recursive: true });
    fs.writeFileSync(path.join(source, "etc/app/app.conf"), "listen = 0.0.0.0:8080\nworkers = 4\n");
    fs.writeFileSync(path.join(source, "var/www/index.html"), "<h1>Migrated by Ferry</h1>\n");
    fs.writeFileSync(path.join(source, "var/www/data.bin"), randomBytes(16 * 1024 * 1024));
    fs.symlinkSync("../../etc/app/app.conf", path.join(source, "var/www/app.conf"));
  }
  const targetRoot = path.join(demoDir, "target-root");
  fs.mkdirSync(targetRoot, { recursive: true });
  // A small ext4 image the sample server reports as its disk (block level), and an empty, larger
  // disk image the target offers.
  const disks = path.join(demoDir, "target-disks");
  fs.mkdirSync(disks, { recursive: true });
  const image = path.join(demoDir, "sample-disk.img");
  if (!fs.existsSync(image)) {
    try {
      execFileSync("mkfs.ext4", ["-q", "-F", "-d", source, image, "64M"], { stdio: "ignore" });
    } catch {
      console.log("(mkfs.ext4 is not installed: no sample ext4 image this time)");
    }
  }
  const targetDisk = path.join(disks, "disk0.img");
  if (!fs.existsSync(targetDisk)) {
    fs.closeSync(fs.openSync(targetDisk, "w"));
    fs.truncateSync(targetDisk, 128 * 1024 * 1024);
  }
  return { source, targetRoot, disks, image };
}

async function main() {
  fs.mkdirSync(demoDir, { recursive: true });
  const credentialsFile = path.join(demoDir, "credentials.json");
  const credentials = fs.existsSync(credentialsFile)
    ? JSON.parse(fs.readFileSync(credentialsFile, "utf8"))
    : { email: "admin@demo.ferry", password: `demo-${randomBytes(6).toString("hex")}-1` };

  ensureBuild(root);
  const env = { PORT: port, FERRY_DATA_DIR: path.join(demoDir, "console"), NEXTAUTH_URL: url, FERRY_HEARTBEAT_INTERVAL_SECONDS: "5", NEXT_TELEMETRY_DISABLED: "1" };
  delete process.env.DATABASE_URL; // the demo always runs on its own embedded database
  start("console", [path.join(root, "node_modules/next/dist/bin/next"), "start", "-p", port], env);
  await waitFor("the console", async () => (await fetch(`${url}/api/health`)).ok);

  const status = await trpc("setup.status", null, "query");
  if (status.isNeeded) {
    await trpc("setup.createFirstAccount", {
      accountName: "Ferry demo",
      name: "Demo administrator",
      email: credentials.email,
      password: credentials.password,
      confirmPassword: credentials.password,
    });
    fs.writeFileSync(credentialsFile, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  }
  const { csrfToken } = await (await http("GET", "/api/auth/csrf")).json();
  await http("POST", "/api/auth/callback/credentials", { form: { csrfToken, email: credentials.email, password: credentials.password, json: "true" } });
  const me = await trpc("session.me", null, "query").catch(() => null);
  if (!me) throw new Error(`could not sign in as ${credentials.email}; delete ${demoDir} to start over`);

  // The agents sign with a key of the administrator (a real setup would use a user of its own).
  const keys = await trpc("iam.accessKeys.list", {}, "query");
  for (const key of keys.filter((k) => k.description === "demo agents")) await trpc("iam.accessKeys.delete", { accessKeyId: key.accessKeyId });
  const key = await trpc("iam.accessKeys.create", { description: "demo agents" });
  const sample = makeSampleData();
  const agent = path.join(root, "agent/bin/ferry-agent.mjs");
  const agentEnv = { FERRY_CONSOLE_URL: url, FERRY_AK: key.accessKeyId, FERRY_SK: key.secretAccessKey };
  // The sample server's disk is the ext4 image (block level); its files are this machine's (file level).
  const diskImages = fs.existsSync(sample.image) ? ["--disk-images", sample.image] : [];
  start("source-agent", [agent, "source", "--state-dir", path.join(demoDir, "source-agent"), ...diskImages], agentEnv);
  start("target-agent", [agent, "target", "--state-dir", path.join(demoDir, "target-agent"), "--file-root", sample.targetRoot, "--disks-dir", sample.disks, "--receive-host", "127.0.0.1"], agentEnv);

  console.log(`
Ferry demo is running.

  Console:   ${url}
  Sign in:   ${credentials.email}  /  ${credentials.password}

  A source agent and a target agent run on this machine. In the console:
    Migration tasks → Create task → this machine as the source → this machine as the target, then
    - Block level: the source's disk is ${sample.image}; map it to ${path.join(sample.disks, "disk0.img")}, or
    - File level, source folder:  ${sample.source}  (lands below ${sample.targetRoot})
    → Create and start. Then change a file, press Sync, and Launch target server.

  Logs: ${demoDir}/*.log     Stop: Ctrl-C     Start over: delete ${demoDir}
`);
}

main().catch((error) => {
  console.error(`demo failed: ${error.message}`);
  stopAll(1);
});
