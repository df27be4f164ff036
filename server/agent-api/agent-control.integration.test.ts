import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { validateConfig } from "@/agent/src/config/config";
import { ConsoleClient } from "@/agent/src/control/console-client";
import { API } from "@/agent/src/control/source-agent";
import { discover } from "@/agent/src/discovery/discover";
import { signRequest } from "@/agent/src/protocol/v1/signing";
import { openDatabase } from "../db";
import { createAccessKey } from "../services/iam/access-keys";
import { createTestAccount, TEST_PASSWORD } from "../testing/fixtures";
// @ts-expect-error -- a plain .mjs helper shared with `npm start` and the browser tests
import { ensureBuild } from "../bin/ensure-build.mjs";

// The control plane end to end: the production build of the console on a port of its own with a
// fresh database, and real agent processes (`ferry-agent source`) signing in with access keys.
// Heartbeats every second, so "offline" (3 missed) takes seconds; every wait polls for the state.

const ROOT = path.resolve(import.meta.dirname, "../..");
const AGENT_BIN = path.join(ROOT, "agent", "bin", "ferry-agent.mjs");

let work: string;
let port: number;
let consoleProcess: ChildProcess | undefined;
let consoleOutput = "";
let dropDatabase = async () => {};
const agents = new Set<ChildProcess>();
type Key = { ak: string; sk: string };
let keyA: Key;
let keyB: Key;
let adminA: { email: string };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}\n--- console output ---\n${consoleOutput.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const baseUrl = () => `http://127.0.0.1:${port}`;

beforeAll(async () => {
  ensureBuild(ROOT);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-agent-it-"));
  port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    NEXTAUTH_URL: baseUrl(),
    FERRY_DATA_DIR: path.join(work, "console"),
    FERRY_HEARTBEAT_INTERVAL_SECONDS: "1",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  // Accounts and keys are made before the console starts: an embedded database has one owner.
  let url: string | undefined;
  if (process.env.DATABASE_URL) {
    const name = `ferry_agent_it_${Date.now()}`;
    const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    url = u.toString();
    env.DATABASE_URL = url;
    dropDatabase = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    };
  }
  const database = await openDatabase(url ? { url } : { pgliteDir: path.join(work, "console", "pglite") });
  try {
    const a = await createTestAccount(database.db);
    const b = await createTestAccount(database.db);
    adminA = { email: a.user.email };
    const ka = await createAccessKey(a.ctx, {});
    const kb = await createAccessKey(b.ctx, {});
    keyA = { ak: ka.accessKeyId, sk: ka.secretAccessKey };
    keyB = { ak: kb.accessKeyId, sk: kb.secretAccessKey };
  } finally {
    await database.close();
  }
  const child = spawn(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(port)], { cwd: ROOT, env });
  child.stdout.on("data", (d) => (consoleOutput += d));
  child.stderr.on("data", (d) => (consoleOutput += d));
  consoleProcess = child;
  await until("the console to start", async () => (await fetch(`${baseUrl()}/api/health`)).ok, 60_000);
}, 600_000);

afterAll(async () => {
  for (const agent of agents) agent.kill("SIGKILL");
  if (consoleProcess && consoleProcess.exitCode === null) {
    consoleProcess.kill("SIGTERM");
    await new Promise((r) => consoleProcess!.once("exit", r));
  }
  await dropDatabase().catch(() => {});
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

// --- a signed-in console user, through next-auth and tRPC over HTTP -----------------------------

let sessionCookie = "";
async function signIn(email: string) {
  const csrf = await fetch(`${baseUrl()}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookies = csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const response = await fetch(`${baseUrl()}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies },
    body: new URLSearchParams({ csrfToken, email, password: TEST_PASSWORD, json: "true" }),
  });
  sessionCookie = [cookies, ...response.headers.getSetCookie().map((c) => c.split(";")[0])].join("; ");
  expect(sessionCookie).toContain("session-token");
}

async function trpc<T>(procedure: string, input: unknown, kind: "query" | "mutation" = "query"): Promise<T> {
  const encoded = encodeURIComponent(JSON.stringify({ json: input }));
  const response =
    kind === "query"
      ? await fetch(`${baseUrl()}/api/trpc/${procedure}?input=${encoded}`, { headers: { cookie: sessionCookie } })
      : await fetch(`${baseUrl()}/api/trpc/${procedure}`, {
          method: "POST",
          headers: { cookie: sessionCookie, "content-type": "application/json" },
          body: JSON.stringify({ json: input }),
        });
  const body = (await response.json()) as { result?: { data: { json: T } }; error?: { json: { message: string } } };
  if (!response.ok || !body.result) throw new Error(`${procedure}: ${response.status} ${body.error?.json.message}`);
  return body.result.data.json;
}

type ServerSummary = { id: string; hostname: string; connection: string; osName: string; lastHeartbeatAt: string | null };
type CommandRow = { id: string; type: string; state: string; deliveredCount: number; result: { message: string } | null };
const listServers = () => trpc<{ items: ServerSummary[]; total: number }>("servers.list", {});

// --- real agent processes ------------------------------------------------------------------------

function startAgent(stateDir: string, key: Key, extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, [AGENT_BIN, "source"], {
    cwd: ROOT,
    // The SK reaches the agent through its environment, never its command line.
    env: { ...process.env, FERRY_CONSOLE_URL: baseUrl(), FERRY_AK: key.ak, FERRY_SK: key.sk, FERRY_AGENT_STATE_DIR: stateDir, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  agents.add(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => (agents.delete(child), resolve(code))));
  return { child, exited, output: () => output };
}

async function kill(agent: ReturnType<typeof startAgent>) {
  agent.child.kill("SIGKILL");
  await agent.exited;
}

const agentLog = (stateDir: string) => fs.readFileSync(path.join(stateDir, "logs", "agent.log"), "utf8");

describe("agent control plane, console and agent processes end to end", () => {
  let stateA: string;
  let serverId: string;

  it("a started agent shows as a connected source with its details", async () => {
    await signIn(adminA.email);
    stateA = path.join(work, "agent-a");
    startAgent(stateA, keyA);
    const server = await until("the source to appear connected", async () => (await listServers()).items.find((s) => s.connection === "connected"));
    serverId = server.id;
    const local = await discover();
    expect(server.hostname).toBe(local.hostname);
    expect(server.osName).toBe(local.os.prettyName ?? local.os.name ?? "");
    const detail = await trpc<{ report: { kernel: string; disks: { path: string }[] }; feasibility: { checks: unknown[] } }>("servers.get", { serverId });
    expect(detail.report.kernel).toBe(local.kernel);
    expect(detail.report.disks.map((d) => d.path)).toEqual(local.disks.map((d) => d.path));
    expect(detail.feasibility.checks.length).toBeGreaterThan(5);
  });

  it("killing the agent turns the source offline; restarting it keeps the same source", async () => {
    const running = [...agents][0]!;
    running.kill("SIGKILL");
    await until("the source to go offline", async () => (await listServers()).items.find((s) => s.id === serverId && s.connection === "offline"));
    const restarted = startAgent(stateA, keyA);
    await until("the source to be connected again", async () => (await listServers()).items.find((s) => s.id === serverId && s.connection === "connected"));
    const { total, items } = await listServers();
    expect(total).toBe(1);
    expect(items[0]!.id).toBe(serverId);
    await kill(restarted);
  });

  it("runs a queued command exactly once even when the agent dies between receipt and ack", async () => {
    const command = await trpc<CommandRow>("servers.queueCommand", { serverId, type: "refresh" }, "mutation");
    const dying = startAgent(stateA, keyA, { FERRY_AGENT_TEST_EXIT_AFTER_RECEIPT: "1" });
    expect(await dying.exited).toBe(75);
    const afterDeath = (await trpc<CommandRow[]>("servers.listCommands", { serverId })).find((c) => c.id === command.id)!;
    expect(afterDeath).toMatchObject({ state: "delivered", deliveredCount: 1 });

    const agent = startAgent(stateA, keyA);
    const done = await until("the command to succeed", async () =>
      (await trpc<CommandRow[]>("servers.listCommands", { serverId })).find((c) => c.id === command.id && c.state === "succeeded"),
    );
    expect(done.result?.message).toMatch(/refreshed/);
    const runs = agentLog(stateA).split("\n").filter((line) => line.includes("running command") && line.includes(command.id));
    expect(runs).toHaveLength(1);

    // collect_logs: the agent uploads its log, downloadable in the console.
    const collect = await trpc<CommandRow>("servers.queueCommand", { serverId, type: "collect_logs" }, "mutation");
    await until("the log upload", async () => (await trpc<CommandRow[]>("servers.listCommands", { serverId })).find((c) => c.id === collect.id && c.state === "succeeded"));
    const [log] = await trpc<{ id: string; fileName: string }[]>("servers.listLogs", { serverId });
    const content = await trpc<{ content: string }>("servers.getLog", { logId: log!.id });
    expect(content.content).toContain(`running command commandId=${command.id}`);
    expect(content.content).not.toContain(keyA.sk);

    // stop: the agent reports and exits by itself.
    await trpc<CommandRow>("servers.queueCommand", { serverId, type: "stop" }, "mutation");
    expect(await agent.exited).toBe(0);
    expect(agent.output()).toContain("stopped by the console");
    expect(agent.output()).not.toContain(keyA.sk);
    expect(agentLog(stateA)).not.toContain(keyA.sk);
  });

  it("refuses malformed and oversized reports with 400 and a reason", async () => {
    const client = new ConsoleClient(validateConfig({ consoleUrl: baseUrl(), accessKeyId: keyA.ak, secretAccessKey: keyA.sk }));
    const report = await discover();
    const any = z.unknown();
    await expect(client.call(API.register, { agentId: "not-a-uuid", report }, any)).rejects.toThrow(/agentId/);
    await expect(client.call(API.register, { agentId: crypto.randomUUID(), report: { ...report, memoryBytes: -1 } }, any)).rejects.toThrow(/\(400\).*memoryBytes/);
    const oversized = { agentId: crypto.randomUUID(), report: { ...report, notes: ["x".repeat(1000)], padding: " ".repeat(1_200_000) } };
    await expect(client.call(API.register, oversized, any)).rejects.toThrow(/\(400\).*too large/);
  });

  it("answers 401 to unsigned, badly signed and tampered calls", async () => {
    const url = `${baseUrl()}/${API.heartbeat}`;
    const body = JSON.stringify({ agentId: crypto.randomUUID() });
    const headers = { "content-type": "application/json", host: `127.0.0.1:${port}` };
    const unsigned = await fetch(url, { method: "POST", headers, body });
    expect(unsigned.status).toBe(401);
    const wrongSk = signRequest({ method: "POST", url, headers, body, ak: keyA.ak, sk: "wrong-secret" });
    expect((await fetch(url, { method: "POST", headers: { ...headers, ...wrongSk }, body })).status).toBe(401);
    const signed = signRequest({ method: "POST", url, headers, body, ak: keyA.ak, sk: keyA.sk });
    const tampered = await fetch(url, { method: "POST", headers: { ...headers, ...signed }, body: body.replace(/.$/, " }") });
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toEqual({ error: { code: "UNAUTHORIZED", message: expect.any(String) } });
  });

  it("a key of another account cannot touch this account's source", async () => {
    const agentId = fs.readFileSync(path.join(stateA, "agent-id"), "utf8").trim();
    const commands = await trpc<CommandRow[]>("servers.listCommands", { serverId });
    const b = new ConsoleClient(validateConfig({ consoleUrl: baseUrl(), accessKeyId: keyB.ak, secretAccessKey: keyB.sk }));
    const any = z.unknown();
    await expect(b.call(API.heartbeat, { agentId }, any)).rejects.toMatchObject({ name: "ConsoleNotFoundError" });
    await expect(b.call(API.poll, { agentId, waitSeconds: 0 }, any)).rejects.toMatchObject({ name: "ConsoleNotFoundError" });
    await expect(b.call(API.ack, { agentId, commandId: commands[0]!.id }, any)).rejects.toMatchObject({ name: "ConsoleNotFoundError" });
    await expect(
      b.call(API.logs, { agentId, commandId: null, fileName: "x.log", content: "forged", isTruncated: false }, any),
    ).rejects.toMatchObject({ name: "ConsoleNotFoundError" });
    // Registering with A's agent id makes a server in B's account; A's source is untouched.
    const report = await discover();
    await b.call(API.register, { agentId, report: { ...report, hostname: "hijacked" } }, any);
    const { items } = await listServers();
    expect(items.map((s) => [s.id, s.hostname])).toEqual([[serverId, report.hostname]]);
  });
});
