import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NATIVE_FS_KEY_HEADER, NATIVE_FS_SHA256_HEADER } from "@/agent/src/protocol/v1/native-fs-addon";
import { currentNativeFsTarget, nativeFsKey, type NativeFsTarget } from "@/agent/src/transfer/files/native/native-fs-build";
import { GET } from "@/app/api/agent/download/native/route";
import { buildNativeFsAddon, findNativeFsAddon, getNativeFsAddon, type NativeFsAddon } from "./native-fs-addon";

// The console builds the agent's file-transfer addon and serves it on its public route; an agent
// process with no C compiler and an empty cache fetches it from that route (served over HTTP by
// this test), checks it, caches it and uses it. Needs cc on the machine running the tests.

const ROOT = path.resolve(import.meta.dirname, "../../..");
const AGENT_CHILD = path.join(ROOT, "agent/src/transfer/files/testing/prepare-native-fs-child.ts");
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

let work: string;
let addon: NativeFsAddon & { isBuilt: true };
const servers: http.Server[] = [];

function queryFor(target: NativeFsTarget, key = nativeFsKey(target)): string {
  return new URLSearchParams({ platform: target.platform, arch: target.arch, napi: String(target.napi), key }).toString();
}

async function get(query: string): Promise<Response> {
  return GET(new Request(`http://console.test/api/agent/download/native?${query}`));
}

/** The route behind a real HTTP server, as an agent reaches it; `tamper` changes a 200's bytes on the way. */
async function serveRoute(tamper?: (body: Buffer) => Buffer): Promise<string> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const response = await GET(new Request(`http://127.0.0.1${req.url}`));
      let body: Buffer = Buffer.from(await response.arrayBuffer());
      if (tamper && response.status === 200) body = tamper(body);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(body);
    })();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** Runs an agent process that has no C compiler (CC=/nonexistent) and the given cache folder. */
function runAgentWithoutCompiler(consoleUrl: string, cacheHome: string, probe: string): Promise<{ code: number | null; result: Record<string, unknown> }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CC: "/nonexistent", XDG_CACHE_HOME: cacheHome };
  delete env.FERRY_NATIVE_FS;
  const child = spawn(process.execPath, ["--import", "tsx", AGENT_CHILD, consoleUrl, probe], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      try {
        resolve({ code, result: JSON.parse(stdout.trim().split("\n").pop() ?? "") as Record<string, unknown> });
      } catch {
        reject(new Error(`the agent process printed no result (exit ${code}): ${stdout}\n${stderr}`));
      }
    });
  });
}

function nodeFilesBelow(dir: string): string[] {
  return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.node|\.tmp/.test(f)) : [];
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-native-addon-"));
  vi.stubEnv("FERRY_DATA_DIR", path.join(work, "console"));
  vi.stubEnv("CC", "cc");
  const built = await getNativeFsAddon();
  if (!built.isBuilt) throw new Error(`these tests need cc on this machine: ${built.reason}`);
  addon = built;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  vi.unstubAllEnvs();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("the console's build of the file-transfer addon", () => {
  it("is built once beside the agent bundle, for this machine's key", async () => {
    const target = currentNativeFsTarget();
    expect(addon.key).toBe(nativeFsKey(target));
    expect(addon.file).toBe(path.join(work, "console", "agent", `ferry-fs-${addon.key}.node`));
    expect(fs.readFileSync(addon.file).equals(addon.bytes)).toBe(true);
    expect(addon.sha256).toBe(sha256(addon.bytes));
    expect(await getNativeFsAddon()).toBe(addon);
    expect(fs.readdirSync(path.dirname(addon.file))).toEqual([path.basename(addon.file)]);
  });

  it("is the same bytes wherever it is built, so console instances sharing the data folder agree", async () => {
    const again = await buildNativeFsAddon({ outDir: path.join(work, "elsewhere"), compiler: "cc" });
    expect(again).toMatchObject({ isBuilt: true, key: addon.key, sha256: addon.sha256 });
  });

  it("is served, exactly as built and with its SHA-256, for the agent's own key", async () => {
    const response = await get(queryFor(currentNativeFsTarget()));
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.equals(fs.readFileSync(addon.file))).toBe(true);
    expect(response.headers.get(NATIVE_FS_SHA256_HEADER)).toBe(sha256(body));
    expect(response.headers.get(NATIVE_FS_KEY_HEADER)).toBe(addon.key);
  });

  it("is refused with 404 and the reason for any other key, machine or N-API version", async () => {
    const own = currentNativeFsTarget();
    const otherArch = own.arch === "arm64" ? "x64" : "arm64";
    const cases: [string, RegExp][] = [
      [queryFor(own, addon.key.replace(/^./, (c) => (c === "0" ? "1" : "0"))), /another agent version's/],
      [queryFor({ ...own, arch: otherArch }, addon.key), new RegExp(`for ${own.platform}-${own.arch} only, not ${own.platform}-${otherArch}`)],
      [queryFor({ ...own, platform: "freebsd" }, addon.key), /only, not freebsd-/],
      [queryFor({ ...own, napi: own.napi + 1 }, addon.key), new RegExp(`for N-API ${own.napi}, not ${own.napi + 1}`)],
    ];
    for (const [query, message] of cases) {
      const response = await get(query);
      expect(response.status, query).toBe(404);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    const malformed = await get(`platform=${own.platform}&arch=${own.arch}&napi=${own.napi}`);
    expect(malformed.status).toBe(400);
  });

  it("cannot be built on a console without a C compiler, and agents are told to install cc", async () => {
    const outDir = path.join(work, "no-cc");
    const failed = await buildNativeFsAddon({ outDir, compiler: "/nonexistent" });
    expect(failed).toMatchObject({ isBuilt: false, reason: "no C compiler: /nonexistent was not found" });
    expect(fs.readdirSync(outDir)).toEqual([]);
    const target = currentNativeFsTarget();
    const refusal = findNativeFsAddon(failed, { ...target, key: nativeFsKey(target) });
    expect(refusal).toEqual({ isServed: false, message: expect.stringContaining("install a C compiler (cc) and Node's headers on the agent's server") });
  });
});

describe("an agent that cannot compile the addon", () => {
  it("fetches the console's build into its empty cache (mode 0644) and uses it", async () => {
    const consoleUrl = await serveRoute();
    const cacheHome = fs.mkdtempSync(path.join(work, "agent-cache-"));
    const probe = fs.mkdtempSync(path.join(work, "probe-"));
    const { code, result } = await runAgentWithoutCompiler(consoleUrl, cacheHome, probe);
    expect(result).toMatchObject({ origin: "console", sha256: addon.sha256 });
    expect(code).toBe(0);
    const cached = path.join(cacheHome, "ferry-agent", "native", `ferry-fs-${addon.key}.node`);
    expect(result.file).toBe(cached);
    expect(fs.readFileSync(cached).equals(addon.bytes)).toBe(true);
    expect(fs.statSync(cached).mode & 0o777).toBe(0o644);
    // lstat through the fetched addon sees the probe folder as Node does.
    const stat = fs.lstatSync(probe);
    expect(result).toMatchObject({ ino: stat.ino, mode: stat.mode });
  }, 60_000);

  it("refuses a download that does not match the console's SHA-256 and caches nothing", async () => {
    const consoleUrl = await serveRoute((body) => {
      const tampered = Buffer.from(body);
      tampered[tampered.length >> 1]! ^= 0x01;
      return tampered;
    });
    const cacheHome = fs.mkdtempSync(path.join(work, "agent-cache-"));
    const { code, result } = await runAgentWithoutCompiler(consoleUrl, cacheHome, work);
    expect(code).toBe(1);
    expect(result.error).toMatch(/can neither be built here \(cannot build the file-transfer addon with \/nonexistent .*\) nor fetched from the console: .*does not match its SHA-256/);
    expect(result.error).toMatch(/install a C compiler/);
    expect(nodeFilesBelow(cacheHome)).toEqual([]);
  }, 60_000);
});
