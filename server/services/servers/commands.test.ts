import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, sourceCommands } from "@/drizzle/schema";
import type { SourceReport } from "@/agent/src/protocol/v1/report";
import { SMS_READ_ONLY_ACCESS } from "../../authz/system-policies";
import type { Database } from "../../db";
import { createTestAccount, createTestUser } from "../../testing/fixtures";
import { createTestDatabase } from "../../testing/test-db";
import { ackCommand, listCommands, pollCommands, queueCommand, reportCommandResult } from "./commands";
import debian12 from "./fixtures/debian-12.json";
import { registerSourceServer } from "./register";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const report = debian12 as unknown as SourceReport;

async function registeredServer() {
  const a = await createTestAccount(database.db);
  const agentId = randomUUID();
  const { serverId } = await registerSourceServer(a.ctx, { agentId, report });
  return { ...a, agentId, serverId };
}

describe("command channel", () => {
  it("redelivers a command until it is acknowledged, then never again", async () => {
    const { ctx, agentId, serverId } = await registeredServer();
    const queued = await queueCommand(ctx, { serverId, type: "refresh" });
    expect(queued.state).toBe("queued");

    const first = await pollCommands(ctx, { agentId, waitSeconds: 0 });
    expect(first.commands).toEqual([{ id: queued.id, type: "refresh", payload: {}, deliveredCount: 1 }]);
    // No ack (the agent died after receiving it): the next poll gets it again.
    const second = await pollCommands(ctx, { agentId, waitSeconds: 0 });
    expect(second.commands.map((c) => [c.id, c.deliveredCount])).toEqual([[queued.id, 2]]);

    await expect(ackCommand(ctx, { agentId, commandId: queued.id })).resolves.toEqual({ state: "acked" });
    await expect(ackCommand(ctx, { agentId, commandId: queued.id })).resolves.toEqual({ state: "acked" });
    expect((await pollCommands(ctx, { agentId, waitSeconds: 0 })).commands).toEqual([]);

    await expect(reportCommandResult(ctx, { agentId, commandId: queued.id, outcome: "succeeded", result: { message: "done" } })).resolves.toEqual({ state: "succeeded" });
    // A repeated report (the agent restarted before hearing back) keeps the first outcome.
    await expect(reportCommandResult(ctx, { agentId, commandId: queued.id, outcome: "failed", result: { message: "again" } })).resolves.toEqual({ state: "succeeded" });
    const [listed] = await listCommands(ctx, { serverId });
    expect(listed).toMatchObject({ id: queued.id, state: "succeeded", deliveredCount: 2, result: { message: "done" } });
    expect(listed!.finishedAt).toBeInstanceOf(Date);
    expect(listed!.ackedAt).toBeInstanceOf(Date);
  });

  it("accepts a result without an ack (the agent had run it before a restart)", async () => {
    const { ctx, agentId, serverId } = await registeredServer();
    const queued = await queueCommand(ctx, { serverId, type: "collect_logs" });
    await pollCommands(ctx, { agentId, waitSeconds: 0 });
    await expect(reportCommandResult(ctx, { agentId, commandId: queued.id, outcome: "failed", result: { message: "no log" } })).resolves.toEqual({ state: "failed" });
    expect((await pollCommands(ctx, { agentId, waitSeconds: 0 })).commands).toEqual([]);
  });

  it("a long poll answers as soon as a command is queued, and with none when the wait ends", async () => {
    const { ctx, agentId, serverId } = await registeredServer();
    let started = Date.now();
    await expect(pollCommands(ctx, { agentId, waitSeconds: 1 }, { checkIntervalMs: 50 })).resolves.toEqual({ commands: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    started = Date.now();
    const polled = pollCommands(ctx, { agentId, waitSeconds: 10 }, { checkIntervalMs: 50 });
    const queued = await queueCommand(ctx, { serverId, type: "stop" });
    const { commands } = await polled;
    expect(commands.map((c) => c.id)).toEqual([queued.id]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("stops waiting when the agent hangs up, without delivering", async () => {
    const { ctx, agentId } = await registeredServer();
    const controller = new AbortController();
    const started = Date.now();
    const polled = pollCommands(ctx, { agentId, waitSeconds: 20 }, { signal: controller.signal, checkIntervalMs: 50 });
    setTimeout(() => controller.abort(), 100);
    await expect(polled).resolves.toEqual({ commands: [] });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("refuses a second pending command of the same type", async () => {
    const { ctx, serverId } = await registeredServer();
    await queueCommand(ctx, { serverId, type: "refresh" });
    await expect(queueCommand(ctx, { serverId, type: "refresh" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(queueCommand(ctx, { serverId, type: "collect_logs" })).resolves.toMatchObject({ state: "queued" });
  });

  it("audits queueing, acknowledgement and results, but not polls", async () => {
    const { ctx, account, agentId, serverId } = await registeredServer();
    const queued = await queueCommand(ctx, { serverId, type: "refresh" });
    await pollCommands(ctx, { agentId, waitSeconds: 0 });
    await ackCommand(ctx, { agentId, commandId: queued.id });
    await reportCommandResult(ctx, { agentId, commandId: queued.id, outcome: "succeeded", result: { message: "ok" } });
    const operations = (await database.db.select().from(auditEvents).where(eq(auditEvents.accountId, account.id))).map((e) => e.operation);
    expect(operations.filter((o) => o.startsWith("sms:command"))).toEqual(["sms:command:create", "sms:command:ack", "sms:command:ack"]);
  });

  it("refuses to queue without sms:command:create, but lets a read-only user list", async () => {
    const { account, serverId } = await registeredServer();
    const readOnly = await createTestUser(database.db, account.id, { policyIds: [SMS_READ_ONLY_ACCESS.id] });
    await expect(queueCommand(readOnly.ctx, { serverId, type: "refresh" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listCommands(readOnly.ctx, { serverId })).resolves.toEqual([]);
    const nobody = await createTestUser(database.db, account.id);
    await expect(listCommands(nobody.ctx, { serverId })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("a key of another account cannot poll, acknowledge or finish this account's commands", async () => {
    const a = await registeredServer();
    const b = await createTestAccount(database.db);
    const queued = await queueCommand(a.ctx, { serverId: a.serverId, type: "refresh" });
    await expect(pollCommands(b.ctx, { agentId: a.agentId, waitSeconds: 0 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(ackCommand(b.ctx, { agentId: a.agentId, commandId: queued.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // Even with an agent of its own, B cannot reach A's command by id.
    const bAgent = randomUUID();
    await registerSourceServer(b.ctx, { agentId: bAgent, report });
    await expect(ackCommand(b.ctx, { agentId: bAgent, commandId: queued.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(reportCommandResult(b.ctx, { agentId: bAgent, commandId: queued.id, outcome: "failed", result: { message: "x" } })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(queueCommand(b.ctx, { serverId: a.serverId, type: "stop" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(listCommands(b.ctx, { serverId: a.serverId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const [row] = await database.db.select().from(sourceCommands).where(eq(sourceCommands.id, queued.id));
    expect(row).toMatchObject({ state: "queued", deliveredCount: 0 });
  });
});
