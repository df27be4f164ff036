import { randomUUID } from "node:crypto";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { beforeAll, describe, expect, it } from "vitest";
import { taskCertificateName } from "../protocol/v1/certificates";
import { TestCa } from "../control/testing/test-ca";
import { sendFiles } from "./files/file-sender";
import { startReceiver } from "./receiver";
import { clientTlsOptions, refusesPeer, serverTlsOptions, type CertificateCredentials } from "./tls-credentials";

// Console mode's certificate credentials: what the target (server) and the source (client) accept.
// Each refusal is set against the accepted case with the same set-up, so none passes by accident.

let accountCa: TestCa;
let otherAccountCa: TestCa;
const taskId = randomUUID();
const passId = randomUUID();
const pass = (role: "source" | "target", id = passId) => ({ taskId, passId: id, role });

beforeAll(async () => {
  [accountCa, otherAccountCa] = await Promise.all([TestCa.create("Account CA"), TestCa.create("Other account CA")]);
});

type Held = { certPem: string; keyPem: string; caPem: string };
const targetSide = (held: Held): CertificateCredentials => ({ kind: "certificate", ...held, peerName: taskCertificateName(taskId, passId, "source") });
const sourceSide = (held: Held, pinned: string, caPem = held.caPem): CertificateCredentials => ({ kind: "certificate", ...held, caPem, peerCertPem: pinned });

/** One connection: the server greets a client it accepts (after refusesPeer, as the receiver does). */
async function connect(server: CertificateCredentials, client: CertificateCredentials) {
  const serverLog: string[] = [];
  const listener = tls.createServer(serverTlsOptions(server), (socket) => {
    if (refusesPeer(server, socket, (line) => serverLog.push(line))) return;
    socket.end("welcome");
  });
  listener.on("tlsClientError", (error) => serverLog.push(`handshake: ${error.message}`));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  try {
    return await new Promise<{ received: string; clientError: string | null; serverLog: string[] }>((resolve) => {
      let received = "";
      let clientError: string | null = null;
      const socket = tls.connect({ host: "127.0.0.1", port: (listener.address() as AddressInfo).port, ...clientTlsOptions(client) });
      socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
      socket.on("error", (error) => (clientError = error.message));
      socket.on("close", () => resolve({ received, clientError, serverLog }));
    });
  } finally {
    await new Promise((resolve) => listener.close(resolve));
  }
}

describe("certificate credentials (console mode)", () => {
  it("connect this pass's source to its target: both certificates of the account CA, the target's pinned", async () => {
    const target = await accountCa.issue(pass("target"));
    const source = await accountCa.issue(pass("source"));
    const result = await connect(targetSide(target), sourceSide(source, target.certPem));
    expect(result).toEqual({ received: "welcome", clientError: null, serverLog: [] });
  });

  it("the target refuses a source certificate of another account's CA, though it names this pass", async () => {
    const target = await accountCa.issue(pass("target"));
    const stranger = await otherAccountCa.issue(pass("source"));
    // The stranger trusts the account CA, so only the target's check can stop it.
    const result = await connect(targetSide(target), sourceSide(stranger, target.certPem, accountCa.caPem));
    expect(result.received).toBe("");
    // Node drops it in the handshake (the chain does not verify), before the connection handler.
    expect(result.serverLog).toEqual([expect.stringMatching(/^handshake: /)]);
  });

  it("the target refuses a certificate of the same CA that names another pass's source", async () => {
    const target = await accountCa.issue(pass("target"));
    const otherPass = await accountCa.issue(pass("source", randomUUID()));
    const result = await connect(targetSide(target), sourceSide(otherPass, target.certPem));
    expect(result.received).toBe("");
    expect(result.serverLog.join("\n")).toMatch(/refused a connection .*not urn:ferry:task:.*:source/);
  });

  it("the target refuses a certificate issued for serving (a target's) though it carries the source's name", async () => {
    const target = await accountCa.issue(pass("target"));
    const serverUsage = await accountCa.issue(pass("source"), "target");
    const result = await connect(targetSide(target), sourceSide(serverUsage, target.certPem));
    expect(result.received).toBe("");
    expect(result.serverLog).toEqual([expect.stringMatching(/^handshake: /)]);
  });

  it("the source refuses a target whose certificate is not the pinned one, even from the same CA with the same name", async () => {
    const target = await accountCa.issue(pass("target"));
    const impostor = await accountCa.issue(pass("target"));
    const source = await accountCa.issue(pass("source"));
    const result = await connect(targetSide(impostor), sourceSide(source, target.certPem));
    expect(result.received).toBe("");
    expect(result.clientError).toMatch(/does not match the pinned one/);
  });

  it("the source refuses a target presenting the pinned certificate when it does not chain to the account CA", async () => {
    const stranger = await otherAccountCa.issue(pass("target"));
    const source = await accountCa.issue(pass("source"));
    const result = await connect(targetSide({ ...stranger, caPem: accountCa.caPem }), sourceSide(source, stranger.certPem));
    expect(result.received).toBe("");
    expect(result.clientError).toMatch(/certificate|issuer/i);
  });

  it("a receiver drops a refused source without ending its pass, then takes the right one", async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-tls-"));
    const src = path.join(work, "src");
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, "a.txt"), "a\n");
    const outDir = path.join(work, "out");
    const log: string[] = [];
    const target = await accountCa.issue(pass("target"));
    const receiver = await startReceiver({ host: "127.0.0.1", port: 0, credentials: targetSide(target), outDir, log: (line) => log.push(line) });
    try {
      const send = async (held: Held) =>
        sendFiles({ host: "127.0.0.1", port: receiver.address.port, credentials: sourceSide(held, target.certPem), root: src, isSync: false, stateDir: path.join(work, "state") });
      await expect(send(await accountCa.issue(pass("source", randomUUID())))).rejects.toThrow();
      expect(fs.existsSync(path.join(outDir, "a.txt"))).toBe(false);
      expect(log.join("\n")).toMatch(/refused a connection/);
      const result = await send(await accountCa.issue(pass("source")));
      expect(result.report.isVerified).toBe(true);
      const session = await receiver.nextSession();
      expect(session.isOk).toBe(true);
      expect(fs.readFileSync(path.join(outDir, "a.txt"), "utf8")).toBe("a\n");
    } finally {
      await receiver.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
