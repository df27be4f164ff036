import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { NATIVE_FS_KEY_HEADER, NATIVE_FS_SHA256_HEADER } from "../../../protocol/v1/native-fs-addon";
import { fetchNativeFs } from "./fetch-native-fs";
import { currentNativeFsTarget, nativeFsKey } from "./native-fs-build";

// The download step on its own, against small consoles that answer as the test says: what gets
// written, and that nothing does when the answer is wrong. The real route and a real addon are in
// server/services/agent-bundle/native-fs-addon.test.ts.

const target = currentNativeFsTarget();
const key = nativeFsKey(target);
const addon = crypto.randomBytes(40_000);
const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

type Answer = { status: number; headers: Record<string, string>; body: Buffer };
let answer: (url: URL) => Answer;
const requests: URL[] = [];
const servers: (http.Server | https.Server)[] = [];
let tmp: string;
let destination: string;

function listen(server: http.Server | https.Server): Promise<number> {
  servers.push(server);
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url!, "http://x");
    requests.push(url);
    const { status, headers, body } = answer(url);
    res.writeHead(status, headers);
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

const served = (body: Buffer, headers: Record<string, string> = {}): Answer => ({
  status: 200,
  headers: { "content-type": "application/octet-stream", [NATIVE_FS_SHA256_HEADER]: sha256(body), [NATIVE_FS_KEY_HEADER]: key, ...headers },
  body,
});

function filesIn(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-fetch-native-"));
  // A private CA and a certificate for 127.0.0.1 signed by it, as a self-hosted console has.
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: tmp, stdio: "pipe" });
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Ferry Test CA"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  fs.writeFileSync(path.join(tmp, "ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"]);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  requests.length = 0;
  destination = path.join(fs.mkdtempSync(path.join(tmp, "cache-")), "native", `ferry-fs-${key}.node`);
});

describe("fetching the addon from the console", () => {
  it("asks for this machine's key under the console's path prefix and writes exactly the bytes, mode 0644", async () => {
    answer = () => served(addon);
    const port = await listen(http.createServer());
    const result = await fetchNativeFs({ console: { consoleUrl: new URL(`http://127.0.0.1:${port}/ferry/`) }, target, key, destination });
    expect(requests[0]!.pathname).toBe("/ferry/api/agent/download/native");
    expect(Object.fromEntries(requests[0]!.searchParams)).toEqual({ platform: target.platform, arch: target.arch, napi: String(target.napi), key });
    expect(fs.readFileSync(destination).equals(addon)).toBe(true);
    expect(fs.statSync(destination).mode & 0o777).toBe(0o644);
    expect(result).toEqual({ sha256: sha256(addon), sizeBytes: addon.length });
    expect(filesIn(path.dirname(destination))).toEqual([path.basename(destination)]);
  });

  it("refuses bytes that do not match the published SHA-256, and leaves nothing in the cache", async () => {
    const tampered = Buffer.from(addon);
    tampered[1000]! ^= 0xff;
    answer = () => served(tampered, { [NATIVE_FS_SHA256_HEADER]: sha256(addon) });
    const port = await listen(http.createServer());
    await expect(fetchNativeFs({ console: { consoleUrl: new URL(`http://127.0.0.1:${port}/`) }, target, key, destination })).rejects.toThrow(
      /does not match its SHA-256/,
    );
    expect(filesIn(path.dirname(destination))).toEqual([]);
  });

  it("refuses an answer without a SHA-256, or for another key", async () => {
    const port = await listen(http.createServer());
    const consoleUrl = new URL(`http://127.0.0.1:${port}/`);
    answer = () => ({ status: 200, headers: { [NATIVE_FS_KEY_HEADER]: key }, body: addon });
    await expect(fetchNativeFs({ console: { consoleUrl }, target, key, destination })).rejects.toThrow(/carries no SHA-256/);
    answer = () => served(addon, { [NATIVE_FS_KEY_HEADER]: "0123456789abcdef" });
    await expect(fetchNativeFs({ console: { consoleUrl }, target, key, destination })).rejects.toThrow(/another build/);
    expect(filesIn(path.dirname(destination))).toEqual([]);
  });

  it("passes on why the console has no build", async () => {
    answer = () => ({
      status: 404,
      headers: { "content-type": "application/json" },
      body: Buffer.from(JSON.stringify({ error: { code: "NOT_FOUND", message: "this console could not build the agent's file-transfer addon (no C compiler)" } })),
    });
    const port = await listen(http.createServer());
    await expect(fetchNativeFs({ console: { consoleUrl: new URL(`http://127.0.0.1:${port}/`) }, target, key, destination })).rejects.toThrow(
      /has none for this server \(404\): this console could not build the agent's file-transfer addon \(no C compiler\)/,
    );
  });

  it("verifies the console's certificate, trusting a private CA only when the config names it", async () => {
    answer = () => served(addon);
    const port = await listen(https.createServer({ key: fs.readFileSync(path.join(tmp, "server.key")), cert: fs.readFileSync(path.join(tmp, "server.pem")) }));
    const consoleUrl = new URL(`https://127.0.0.1:${port}/`);
    await expect(fetchNativeFs({ console: { consoleUrl }, target, key, destination })).rejects.toThrow(/could not be asked/);
    expect(filesIn(path.dirname(destination))).toEqual([]);
    await fetchNativeFs({ console: { consoleUrl, caFile: path.join(tmp, "ca.pem") }, target, key, destination });
    expect(fs.readFileSync(destination).equals(addon)).toBe(true);
  });
});
