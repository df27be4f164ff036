import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentLogs, sourceCommands, sourceServers } from "@/drizzle/schema";
import type { SourceReport } from "@/agent/src/protocol/v1/report";
import { SMS_READ_ONLY_ACCESS } from "../../authz/system-policies";
import type { Database } from "../../db";
import { createTestAccount, createTestUser } from "../../testing/fixtures";
import { createTestDatabase } from "../../testing/test-db";
import { queueCommand } from "./commands";
import { connectionOf } from "./connection";
import { deleteServer } from "./delete";
import centos7 from "./fixtures/centos-7.json";
import debian12 from "./fixtures/debian-12.json";
import rootFull from "./fixtures/root-100mb-free.json";
import { getServer } from "./get";
import { recordHeartbeat } from "./heartbeat";
import { listServers } from "./list";
import { getAgentLog, listAgentLogs, LOGS_KEPT_PER_SERVER, uploadAgentLog } from "./logs";
import { registerSourceServer, reportIpAddresses } from "./register";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const debian = debian12 as unknown as SourceReport;
const centos = centos7 as unknown as SourceReport;
const full = rootFull as unknown as SourceReport;

async function register(ctx: Parameters<typeof registerSourceServer>[0], report: SourceReport, hostname = report.hostname) {
  const agentId = randomUUID();
  const { serverId } = await registerSourceServer(ctx, { agentId, report: { ...report, hostname } });
  return { agentId, serverId };
}

describe("connection state", () => {
  it("is computed from the last heartbeat: offline after three missed intervals", () => {
    const now = new Date("2025-01-01T00:01:00Z");
    expect(connectionOf(null, now, 15)).toBe("offline");
    expect(connectionOf(new Date("2025-01-01T00:00:15Z"), now, 15)).toBe("connected");
    expect(connectionOf(new Date("2025-01-01T00:00:14Z"), now, 15)).toBe("offline");
  });

  it("a heartbeat brings an offline server back, and answers NOT_FOUND for an agent of another account", async () => {
    const a = await createTestAccount(database.db);
    const { agentId, serverId } = await register(a.ctx, debian);
    await database.db.update(sourceServers).set({ lastHeartbeatAt: new Date(Date.now() - 3600_000) }).where(eq(sourceServers.id, serverId));
    expect((await getServer(a.ctx, { serverId })).connection).toBe("offline");
    await expect(recordHeartbeat(a.ctx, { agentId })).resolves.toMatchObject({ serverId, heartbeatIntervalSeconds: expect.any(Number) });
    expect((await getServer(a.ctx, { serverId })).connection).toBe("connected");

    const b = await createTestAccount(database.db);
    await expect(recordHeartbeat(b.ctx, { agentId })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("source server list and details", () => {
  it("searches by host name and IP, filters by connection and verdict, sorts and pages, within the account only", async () => {
    const a = await createTestAccount(database.db);
    const web = await register(a.ctx, debian, "web-01");
    await register(a.ctx, centos, "db-01");
    await register(a.ctx, full, "full-01");
    const b = await createTestAccount(database.db);
    await register(b.ctx, debian, "web-02");
    await database.db.update(sourceServers).set({ lastHeartbeatAt: new Date(Date.now() - 3600_000) }).where(eq(sourceServers.id, web.serverId));

    const all = await listServers(a.ctx, { sort: "hostname", order: "asc" });
    expect(all.total).toBe(3);
    expect(all.items.map((s) => s.hostname)).toEqual(["db-01", "full-01", "web-01"]);
    expect(all.items.find((s) => s.hostname === "web-01")).toMatchObject({ connection: "offline" });

    const ip = reportIpAddresses(debian).split(" ")[0]!;
    expect(ip).toBeTruthy();
    expect((await listServers(a.ctx, { search: ip })).items.map((s) => s.hostname)).toEqual(expect.arrayContaining(["web-01"]));
    expect((await listServers(a.ctx, { search: "WEB" })).items.map((s) => s.hostname)).toEqual(["web-01"]);
    expect((await listServers(a.ctx, { search: "%" })).total).toBe(0);
    expect((await listServers(a.ctx, { connection: "offline" })).items.map((s) => s.hostname)).toEqual(["web-01"]);
    expect((await listServers(a.ctx, { connection: "connected" })).total).toBe(2);
    const failing = await listServers(a.ctx, { verdict: "fail" });
    expect(failing.items.map((s) => s.hostname)).toContain("full-01");
    expect(failing.items.every((s) => s.verdict === "fail" && s.failedChecks > 0)).toBe(true);

    const page2 = await listServers(a.ctx, { sort: "hostname", order: "desc", page: 2, pageSize: 2 });
    expect(page2).toMatchObject({ total: 3, page: 2 });
    expect(page2.items.map((s) => s.hostname)).toEqual(["db-01"]);
  });

  it("details carry the report and the check; another account gets NOT_FOUND; no permission gets FORBIDDEN", async () => {
    const a = await createTestAccount(database.db);
    const { serverId } = await register(a.ctx, full);
    const detail = await getServer(a.ctx, { serverId });
    expect(detail.report.disks.length).toBeGreaterThan(0);
    expect(detail.feasibility.checks.find((c) => c.id === "disk.root-free")).toMatchObject({ status: "fail" });
    const b = await createTestAccount(database.db);
    await expect(getServer(b.ctx, { serverId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await listServers(b.ctx)).total).toBe(0);
    const nobody = await createTestUser(database.db, a.account.id);
    await expect(getServer(nobody.ctx, { serverId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listServers(nobody.ctx)).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("deleting a server removes its commands and logs; read-only users and other accounts cannot", async () => {
    const a = await createTestAccount(database.db);
    const { agentId, serverId } = await register(a.ctx, debian);
    await queueCommand(a.ctx, { serverId, type: "refresh" });
    await uploadAgentLog(a.ctx, { agentId, commandId: null, fileName: "agent.log", content: "hello", isTruncated: false });
    const readOnly = await createTestUser(database.db, a.account.id, { policyIds: [SMS_READ_ONLY_ACCESS.id] });
    await expect(deleteServer(readOnly.ctx, { serverId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const b = await createTestAccount(database.db);
    await expect(deleteServer(b.ctx, { serverId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await deleteServer(a.ctx, { serverId });
    expect(await database.db.select().from(sourceCommands).where(eq(sourceCommands.serverId, serverId))).toEqual([]);
    expect(await database.db.select().from(agentLogs).where(eq(agentLogs.serverId, serverId))).toEqual([]);
    await expect(recordHeartbeat(a.ctx, { agentId })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("agent logs", () => {
  it("stores an upload for download, keeps the newest few, and links only this server's command", async () => {
    const a = await createTestAccount(database.db);
    const { agentId, serverId } = await register(a.ctx, debian);
    const other = await register(a.ctx, centos);
    const otherCommand = await queueCommand(a.ctx, { serverId: other.serverId, type: "collect_logs" });
    const own = await queueCommand(a.ctx, { serverId, type: "collect_logs" });

    const { logId } = await uploadAgentLog(a.ctx, { agentId, commandId: own.id, fileName: "agent.log", content: "line 1\nline ✓\n", isTruncated: true });
    await expect(getAgentLog(a.ctx, { logId })).resolves.toMatchObject({ serverId, commandId: own.id, content: "line 1\nline ✓\n", sizeBytes: 16, isTruncated: true });
    const foreign = await uploadAgentLog(a.ctx, { agentId, commandId: otherCommand.id, fileName: "agent.log", content: "x", isTruncated: false });
    expect((await getAgentLog(a.ctx, { logId: foreign.logId })).commandId).toBeNull();

    for (let i = 0; i < LOGS_KEPT_PER_SERVER; i++) {
      await uploadAgentLog(a.ctx, { agentId, commandId: null, fileName: `agent-${i}.log`, content: `${i}`, isTruncated: false });
    }
    const logs = await listAgentLogs(a.ctx, { serverId });
    expect(logs).toHaveLength(LOGS_KEPT_PER_SERVER);
    expect(logs.map((l) => l.id)).not.toContain(logId);

    const b = await createTestAccount(database.db);
    await expect(getAgentLog(b.ctx, { logId: logs[0]!.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await listAgentLogs(b.ctx, { serverId })).toEqual([]);
    await expect(uploadAgentLog(b.ctx, { agentId, commandId: null, fileName: "agent.log", content: "x", isTruncated: false })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const readOnly = await createTestUser(database.db, a.account.id, { policyIds: [SMS_READ_ONLY_ACCESS.id] });
    await expect(listAgentLogs(readOnly.ctx, { serverId })).resolves.toHaveLength(LOGS_KEPT_PER_SERVER);
    await expect(uploadAgentLog(readOnly.ctx, { agentId, commandId: null, fileName: "agent.log", content: "x", isTruncated: false })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
