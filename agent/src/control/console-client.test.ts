import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { validateConfig } from "../config/config";
import { verifySignature } from "../protocol/v1/signing";
import { ConsoleClient } from "./console-client";
import { ACCESS_KEY_REFUSED, ConsoleNotFoundError, ConsoleUnreachableError } from "./errors";

const AK = "AKTESTCLIENT0001";
const SK = "sk-test-secret-value-that-must-not-leak";
const okSchema = z.object({ ok: z.boolean(), path: z.string() });

type Handler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void;
let handler: Handler;
const servers: (http.Server | https.Server)[] = [];
let tmp: string;
let certDir: string;

function listen(server: http.Server | https.Server): Promise<number> {
  servers.push(server);
  server.on("request", (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, Buffer.concat(chunks), res));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Answers like the console: 401 unless the request is signed with SK over exactly what arrived. */
const verifyingHandler: Handler = (req, body, res) => {
  const result = verifySignature({ method: req.method!, url: req.url!, headers: req.headers, body, sk: SK, now: new Date() });
  if (!result.ok) return json(res, 401, { error: { code: "UNAUTHORIZED", message: "not signed" } });
  json(res, 200, { ok: true, path: req.url });
};

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-client-"));
  certDir = tmp;
  // A private CA and a server certificate for 127.0.0.1 signed by it, as a self-hosted console has.
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: certDir, stdio: "pipe" });
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Ferry Test CA"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  fs.writeFileSync(path.join(certDir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const client = (consoleUrl: string, extra: { caFile?: string } = {}) =>
  new ConsoleClient(validateConfig({ consoleUrl, accessKeyId: AK, secretAccessKey: SK, ...extra }));

describe("console client", () => {
  it("signs every call so the console's verifier accepts it, under a path prefix too", async () => {
    handler = verifyingHandler;
    const port = await listen(http.createServer());
    await expect(client(`http://127.0.0.1:${port}`).call("api/agent/v1/servers/heartbeat", { a: 1 }, okSchema)).resolves.toEqual({
      ok: true,
      path: "/api/agent/v1/servers/heartbeat",
    });
    await expect(client(`http://127.0.0.1:${port}/ferry`).call("api/agent/v1/logs", { text: "é ✓" }, okSchema)).resolves.toEqual({
      ok: true,
      path: "/ferry/api/agent/v1/logs",
    });
  });

  it("says the key was refused on 401, without the secret key", async () => {
    handler = verifyingHandler;
    const port = await listen(http.createServer());
    const wrong = new ConsoleClient(validateConfig({ consoleUrl: `http://127.0.0.1:${port}`, accessKeyId: AK, secretAccessKey: "wrong" }));
    const error = await wrong.call("x", {}, okSchema).catch((e: Error) => e);
    expect(error).toMatchObject({ name: "UserError", message: ACCESS_KEY_REFUSED });
    expect(String((error as Error).stack)).not.toContain(SK);
  });

  it("tells retryable failures (refused connection, 5xx, timeout) from input errors (400) and 404", async () => {
    const port = await listen(http.createServer());
    const c = client(`http://127.0.0.1:${port}`);
    handler = (_req, _body, res) => json(res, 503, { error: { code: "X", message: "starting" } });
    await expect(c.call("x", {}, okSchema)).rejects.toBeInstanceOf(ConsoleUnreachableError);
    handler = (_req, _body, res) => json(res, 400, { error: { code: "BAD_REQUEST", message: "report.hostname: too long" } });
    await expect(c.call("x", {}, okSchema)).rejects.toMatchObject({ name: "UserError", message: expect.stringContaining("report.hostname: too long") });
    handler = (_req, _body, res) => json(res, 404, { error: { code: "NOT_FOUND", message: "server was not found." } });
    await expect(c.call("x", {}, okSchema)).rejects.toBeInstanceOf(ConsoleNotFoundError);
    handler = () => {}; // never answers
    const started = Date.now();
    await expect(c.call("x", {}, okSchema, { timeoutMs: 300 })).rejects.toThrow(/no answer within/);
    expect(Date.now() - started).toBeLessThan(3000);

    const closed = http.createServer();
    const closedPort = await listen(closed);
    await new Promise((r) => closed.close(r));
    await expect(client(`http://127.0.0.1:${closedPort}`).call("x", {}, okSchema)).rejects.toBeInstanceOf(ConsoleUnreachableError);
  });

  it("verifies the console's certificate, and trusts a private CA only when given with --ca-file", async () => {
    handler = verifyingHandler;
    const port = await listen(https.createServer({ key: fs.readFileSync(path.join(certDir, "server.key")), cert: fs.readFileSync(path.join(certDir, "server.pem")) }));
    const url = `https://127.0.0.1:${port}`;
    await expect(client(url).call("x", {}, okSchema)).rejects.toMatchObject({ name: "UserError", message: expect.stringContaining("--ca-file") });
    await expect(client(url, { caFile: path.join(certDir, "ca.pem") }).call("api/x", {}, okSchema)).resolves.toMatchObject({ ok: true });
    // A CA that did not sign the certificate is no better than none.
    await expect(client(url, { caFile: path.join(certDir, "server.pem") }).call("x", {}, okSchema)).rejects.toMatchObject({ name: "UserError" });
  });
});
