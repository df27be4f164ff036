import { X509Certificate, createPrivateKey, randomUUID, webcrypto } from "node:crypto";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { eq, sql, type SQL } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountCertificateAuthorities, auditEvents, taskCertificates } from "@/drizzle/schema";
import { taskCertificateName, type TaskCertificateRole } from "@/agent/src/protocol/v1/certificates";
import { clientTlsOptions, refusesPeer, serverTlsOptions, type CertificateCredentials } from "@/agent/src/transfer/tls-credentials";
import { SMS_READ_ONLY_ACCESS } from "../../authz/system-policies";
import { openSecret } from "../../crypto/secret-box";
import { x509 } from "../../crypto/x509";
import type { Database } from "../../db";
import { getSecrets } from "../../secrets";
import { createTestUser } from "../../testing/fixtures";
import { obtainTestPassCertificate } from "../../testing/pass-certificates";
import type { SourceReport } from "@/agent/src/protocol/v1/report";
import debian12 from "../servers/fixtures/debian-12.json";
import { registerSourceServer } from "../servers/register";
import { blockTaskInput, createTaskWorld, type TaskWorld } from "../../testing/task-world";
import { createTestDatabase } from "../../testing/test-db";
import { accountCaAad } from "../certificates/account-ca";
import { pollCommands, reportCommandResult } from "../servers/commands";
import { stopTask, syncTask } from "./actions";
import { signTaskCertificate } from "./certificates";
import { createTask } from "./create";
import { getTask } from "./read";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** A world with a started block task: its pass id and the target's task_receive. */
async function startedTask(world?: TaskWorld) {
  world ??= await createTaskWorld(database.db);
  const created = await createTask(world.ctx, { ...blockTaskInput(world), startNow: true });
  const { commands } = await pollCommands(world.ctx, { agentId: world.targetAgentId, waitSeconds: 0 });
  const receive = commands.find((c) => c.type === "task_receive")!;
  return { world, taskId: created.id, passId: String(receive.payload.passId), receive };
}

type Started = Awaited<ReturnType<typeof startedTask>>;
const agentOf = (s: Started, role: TaskCertificateRole) => (role === "source" ? s.world.sourceAgentId : s.world.targetAgentId);
const obtain = (s: Started, role: TaskCertificateRole, agentId = agentOf(s, role)) =>
  obtainTestPassCertificate(s.world.ctx, { agentId, taskId: s.taskId, passId: s.passId, role });

/** A CSR made by hand: any key kind, and a signature that may be spoiled. */
async function csrWith(algorithm: EcKeyGenParams | RsaHashedKeyGenParams, signing: Algorithm, spoilSignature = false): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: "CN=ferry-target", keys, signingAlgorithm: signing });
  const der = new Uint8Array(csr.rawData);
  // The last byte is the end of the signature's s: flipping it keeps the DER whole but the signature wrong.
  if (spoilSignature) der[der.length - 1]! ^= 0x01;
  return x509.PemConverter.encode(der.buffer, "CERTIFICATE REQUEST");
}

const P256 = { name: "ECDSA", namedCurve: "P-256" };
const sign = (s: Started, csrPem: string, role: TaskCertificateRole = "target", ctx = s.world.ctx) =>
  signTaskCertificate(ctx, { agentId: agentOf(s, role), taskId: s.taskId, passId: s.passId, role, csrPem });

/** Raw SQL rows: postgres.js answers an array, PGlite an object with rows. */
async function rowsOf<T>(query: SQL): Promise<T[]> {
  const result = (await database.db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

async function issuedRows(taskId: string) {
  return database.db.select().from(taskCertificates).where(eq(taskCertificates.taskId, taskId));
}

/** One TLS connection between a target and a source holding these credentials; true when the session opened. */
async function connects(target: CertificateCredentials, source: CertificateCredentials): Promise<boolean> {
  const server = tls.createServer(serverTlsOptions(target), (socket) => {
    if (refusesPeer(target, socket, () => undefined)) return;
    socket.end("welcome");
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await new Promise<boolean>((resolve) => {
      let received = "";
      const socket = tls.connect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, ...clientTlsOptions(source) });
      socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(received === "welcome"));
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("per-pass TLS certificates", () => {
  it("issues each agent a certificate of its role, chained to the account CA, and hands the target's to the source to pin", async () => {
    const s = await startedTask();
    const target = await obtain(s, "target");
    const ca = new X509Certificate(target.caPem);
    const targetCert = new X509Certificate(target.certPem);
    expect(ca.ca).toBe(true);
    expect(targetCert.checkIssued(ca)).toBe(true);
    expect(targetCert.verify(ca.publicKey)).toBe(true);
    expect(targetCert.subjectAltName).toBe(`URI:${taskCertificateName(s.taskId, s.passId, "target")}`);
    expect(targetCert.keyUsage).toEqual([SERVER_AUTH]);
    const lifetime = Date.parse(targetCert.validTo) - Date.parse(targetCert.validFrom);
    expect(lifetime).toBe(7 * 24 * 3600_000 + 5 * 60_000);
    expect(Date.parse(targetCert.validFrom)).toBeLessThan(Date.now() - 4 * 60_000);

    await reportCommandResult(s.world.ctx, { agentId: s.world.targetAgentId, commandId: s.receive.id, outcome: "succeeded", result: { message: "ok", details: { address: "127.0.0.1:1" } } });
    const { commands } = await pollCommands(s.world.ctx, { agentId: s.world.sourceAgentId, waitSeconds: 0 });
    const send = commands.find((c) => c.type === "task_send")!;
    expect(send.payload.targetCertPem).toBe(target.certPem);

    const source = await obtain(s, "source");
    const sourceCert = new X509Certificate(source.certPem);
    expect(source.caPem).toBe(target.caPem);
    expect(sourceCert.verify(ca.publicKey)).toBe(true);
    expect(sourceCert.subjectAltName).toBe(`URI:${taskCertificateName(s.taskId, s.passId, "source")}`);
    expect(sourceCert.keyUsage).toEqual([CLIENT_AUTH]);
    expect(sourceCert.serialNumber).not.toBe(targetCert.serialNumber);

    const rows = await issuedRows(s.taskId);
    expect(rows.map((r) => [r.role, r.accountId, r.fingerprint]).sort()).toEqual(
      [
        ["source", s.world.account.id, sourceCert.fingerprint256],
        ["target", s.world.account.id, targetCert.fingerprint256],
      ].sort(),
    );

    // The issued pair opens a TLS session the way the agents use it.
    const targetSide: CertificateCredentials = { kind: "certificate", ...target, peerName: taskCertificateName(s.taskId, s.passId, "source") };
    expect(await connects(targetSide, { kind: "certificate", ...source, peerCertPem: String(send.payload.targetCertPem) })).toBe(true);

    // Both signings are in the audit trail.
    const audits = await database.db.select().from(auditEvents).where(eq(auditEvents.operation, "sms:task:certificate"));
    expect(audits.filter((a) => a.resourceId === s.taskId && a.result === "success")).toHaveLength(2);
  });

  it("refuses a source holding another account's certificate, and one whose pinned target is not the real one", async () => {
    const s = await startedTask();
    const other = await startedTask();
    const target = await obtain(s, "target");
    const source = await obtain(s, "source");
    const stranger = await obtain(other, "source");
    const otherTarget = await obtain(other, "target");
    const targetSide: CertificateCredentials = { kind: "certificate", ...target, peerName: taskCertificateName(s.taskId, s.passId, "source") };
    expect(new X509Certificate(stranger.caPem).fingerprint256).not.toBe(new X509Certificate(target.caPem).fingerprint256);
    // Right pair: opens (so the refusals below are the checks, not a broken set-up).
    expect(await connects(targetSide, { kind: "certificate", ...source, peerCertPem: target.certPem })).toBe(true);
    // Another account's source, trusting this account's CA so only the target's check can stop it.
    expect(await connects(targetSide, { kind: "certificate", ...stranger, caPem: target.caPem, peerCertPem: target.certPem })).toBe(false);
    // The source pins a certificate other than the one the target presents.
    expect(await connects(targetSide, { kind: "certificate", ...source, peerCertPem: otherTarget.certPem })).toBe(false);
  });

  it("refuses an agent that is not the task's source or target, another account, and a pass that is not the running one", async () => {
    const s = await startedTask();
    const csr = await csrWith(P256, { name: "ECDSA", hash: "SHA-256" } as EcdsaParams);
    // The source's agent asks for the target's certificate, and the other way round.
    await expect(signTaskCertificate(s.world.ctx, { agentId: s.world.sourceAgentId, taskId: s.taskId, passId: s.passId, role: "target", csrPem: csr })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(signTaskCertificate(s.world.ctx, { agentId: s.world.targetAgentId, taskId: s.taskId, passId: s.passId, role: "source", csrPem: csr })).rejects.toMatchObject({ code: "FORBIDDEN" });
    // Another source server of the same account, not this task's.
    const neighbourAgentId = randomUUID();
    await registerSourceServer(s.world.ctx, { agentId: neighbourAgentId, report: { ...(debian12 as unknown as SourceReport), hostname: "neighbour" } });
    await expect(signTaskCertificate(s.world.ctx, { agentId: neighbourAgentId, taskId: s.taskId, passId: s.passId, role: "source", csrPem: csr })).rejects.toMatchObject({ code: "FORBIDDEN" });
    // Another account: neither its agent nor its key finds this task.
    const outsider = await startedTask();
    await expect(signTaskCertificate(s.world.ctx, { agentId: outsider.world.sourceAgentId, taskId: s.taskId, passId: s.passId, role: "source", csrPem: csr })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(signTaskCertificate(outsider.world.ctx, { agentId: outsider.world.sourceAgentId, taskId: s.taskId, passId: s.passId, role: "source", csrPem: csr })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // A pass id that is not the task's.
    await expect(signTaskCertificate(s.world.ctx, { agentId: s.world.targetAgentId, taskId: s.taskId, passId: outsider.passId, role: "target", csrPem: csr })).rejects.toMatchObject({ code: "CONFLICT" });
    // A user without the permission (read-only) is refused before anything is looked at.
    const readOnly = await createTestUser(database.db, s.world.account.id, { policyIds: [SMS_READ_ONLY_ACCESS.id] });
    await expect(sign(s, csr, "target", readOnly.ctx)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await issuedRows(s.taskId)).toEqual([]);

    // Once the task stops, its pass is over: no certificate for it any more.
    const running = await getTask(s.world.ctx, { taskId: s.taskId });
    await stopTask(s.world.ctx, { taskId: s.taskId, version: running.version });
    await expect(sign(s, csr)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await issuedRows(s.taskId)).toEqual([]);
    const refusals = await database.db.select().from(auditEvents).where(eq(auditEvents.operation, "sms:task:certificate"));
    expect(refusals.filter((a) => a.resourceId === s.taskId && a.result === "failure").length).toBeGreaterThanOrEqual(5);
  });

  it("refuses a stale pass after a sync started the next one", async () => {
    const s = await startedTask();
    await obtain(s, "target");
    await reportCommandResult(s.world.ctx, { agentId: s.world.targetAgentId, commandId: s.receive.id, outcome: "succeeded", result: { message: "ok", details: { address: "127.0.0.1:1" } } });
    const { commands } = await pollCommands(s.world.ctx, { agentId: s.world.sourceAgentId, waitSeconds: 0 });
    const send = commands.find((c) => c.type === "task_send")!;
    await reportCommandResult(s.world.ctx, {
      agentId: s.world.sourceAgentId,
      commandId: send.id,
      outcome: "succeeded",
      result: { message: "done", details: { bytesTotal: 1, bytesSent: 1, verifiedCount: 1, totalCount: 1, summary: "verified 1 of 1 chunks" } },
    });
    const done = await getTask(s.world.ctx, { taskId: s.taskId });
    await syncTask(s.world.ctx, { taskId: s.taskId, version: done.version });
    await expect(obtain(s, "source")).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("signs only a P-256 key whose CSR signature verifies, with a clear 400 otherwise", async () => {
    const s = await startedTask();
    const p384 = await csrWith({ name: "ECDSA", namedCurve: "P-384" }, { name: "ECDSA", hash: "SHA-384" } as EcdsaParams);
    await expect(sign(s, p384)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/ECDSA P-384: this console signs ECDSA P-256 keys only/) });
    const rsa = await csrWith(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      { name: "RSASSA-PKCS1-v1_5" },
    );
    await expect(sign(s, rsa)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/P-256 keys only/) });
    const spoiled = await csrWith(P256, { name: "ECDSA", hash: "SHA-256" } as EcdsaParams, true);
    await expect(sign(s, spoiled)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/signature does not verify/) });
    await expect(sign(s, "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----")).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await issuedRows(s.taskId)).toEqual([]);
    // The same request with a good CSR goes through.
    await expect(sign(s, await csrWith(P256, { name: "ECDSA", hash: "SHA-256" } as EcdsaParams))).resolves.toMatchObject({ certPem: expect.stringContaining("BEGIN CERTIFICATE") });
  });

  it("keeps the CA key sealed to its account, one CA per account, and no private key in any row or answer", async () => {
    const s = await startedTask();
    const other = await startedTask();
    const answers = [await sign(s, await csrWith(P256, { name: "ECDSA", hash: "SHA-256" } as EcdsaParams))];
    const target = await obtain(s, "target");
    const theirs = await obtain(other, "target");
    answers.push({ certPem: target.certPem, caPem: target.caPem }, { certPem: theirs.certPem, caPem: theirs.caPem });
    expect(theirs.caPem).not.toBe(target.caPem);
    for (const answer of answers) expect(JSON.stringify(answer)).not.toMatch(/PRIVATE KEY/);

    const [row] = await database.db.select().from(accountCertificateAuthorities).where(eq(accountCertificateAuthorities.accountId, s.world.account.id));
    expect(row!.certPem).toBe(target.caPem);
    expect(row!.sealedPrivateKey).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    // Sealed to this account: under another account's associated data it does not open.
    expect(() => openSecret(getSecrets().masterKey, row!.sealedPrivateKey, accountCaAad(other.world.account.id))).toThrow(/authentication/);
    const opened = openSecret(getSecrets().masterKey, row!.sealedPrivateKey, accountCaAad(s.world.account.id));
    // It is a private key in PEM (PKCS#8), not the sealed text.
    expect(createPrivateKey(opened).asymmetricKeyType).toBe("ec");
    // ...and it is the key of the CA certificate: a signature it makes verifies with the CA's public key.
    const key = await webcrypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(opened), { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const signature = await webcrypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, Buffer.from("ferry"));
    const caKey = await new x509.X509Certificate(row!.certPem).publicKey.export(webcrypto as unknown as Crypto);
    expect(await webcrypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, caKey, signature, Buffer.from("ferry"))).toBe(true);

    // Every row of every table, as text: no PEM private key, and not the agent's key material either.
    const agentKeyBody = target.keyPem.split("\n").slice(1, -2).join("");
    const caKeyBody = opened.split("\n").slice(1, -2).join("");
    const tables = await rowsOf<{ table_name: string }>(sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
    let scanned = 0;
    for (const { table_name } of tables) {
      for (const { text } of await rowsOf<{ text: string }>(sql`select row_to_json(t)::text as text from ${sql.identifier(table_name)} t`)) {
        scanned++;
        expect(text, table_name).not.toMatch(/PRIVATE KEY/);
        expect(text.replace(/\\n/g, ""), table_name).not.toContain(agentKeyBody.slice(0, 40));
        expect(text.replace(/\\n/g, ""), table_name).not.toContain(caKeyBody.slice(0, 40));
      }
    }
    expect(scanned).toBeGreaterThan(20);
  });
});
