import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceServers } from "@/drizzle/schema";
import type { SourceReport } from "@/agent/src/protocol/v1/report";
import { SMS_READ_ONLY_ACCESS } from "../../authz/system-policies";
import type { Database } from "../../db";
import { createTestAccount, createTestUser } from "../../testing/fixtures";
import { createTestDatabase } from "../../testing/test-db";
import debian12 from "./fixtures/debian-12.json";
import { FEASIBILITY_RULES_VERSION } from "./feasibility";
import { recheckServer } from "./recheck";
import { registerSourceServer } from "./register";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const report = debian12 as unknown as SourceReport;

describe("source server registration", () => {
  it("re-running the check stores the result of today's rules over an old one", async () => {
    const { ctx } = await createTestAccount(database.db);
    const { serverId } = await registerSourceServer(ctx, { agentId: randomUUID(), report });
    await database.db.update(sourceServers).set({ feasibility: { rulesVersion: 1, verdict: "fail", checks: [] } }).where(eq(sourceServers.id, serverId));
    const result = await recheckServer(ctx, { serverId });
    const [row] = await database.db.select().from(sourceServers).where(eq(sourceServers.id, serverId));
    expect(row!.feasibility).toMatchObject({ rulesVersion: FEASIBILITY_RULES_VERSION, verdict: result.verdict });
    expect(result.verdict).not.toBe("fail");
  });

  it("re-registration with the same agent id updates the server instead of duplicating it", async () => {
    const { ctx, account } = await createTestAccount(database.db);
    const agentId = randomUUID();
    const first = await registerSourceServer(ctx, { agentId, report });
    const second = await registerSourceServer(ctx, { agentId, report: { ...report, hostname: "renamed" } });
    expect(first.isNew).toBe(true);
    expect(second).toMatchObject({ serverId: first.serverId, isNew: false });
    const rows = await database.db.select().from(sourceServers).where(eq(sourceServers.accountId, account.id));
    expect(rows.map((r) => r.hostname)).toEqual(["renamed"]);
    expect(rows[0]!.feasibility).toMatchObject({ verdict: expect.any(String) });
  });

  it("refuses registration without sms:server:register", async () => {
    const { account } = await createTestAccount(database.db);
    const readOnly = await createTestUser(database.db, account.id, { policyIds: [SMS_READ_ONLY_ACCESS.id] });
    await expect(registerSourceServer(readOnly.ctx, { agentId: randomUUID(), report })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("never exceeds the quota, even when registrations race", async () => {
    const { ctx, account } = await createTestAccount(database.db);
    const quota = 5;
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, () => registerSourceServer(ctx, { agentId: randomUUID(), report }, { quota })),
    );
    const refused = results.filter((r) => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(quota);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "CONFLICT", message: expect.stringContaining("quota of 5") });
    expect(await database.db.select().from(sourceServers).where(eq(sourceServers.accountId, account.id))).toHaveLength(quota);
    // A known agent still re-registers at the quota.
    const [known] = await database.db.select().from(sourceServers).where(eq(sourceServers.accountId, account.id)).limit(1);
    await expect(registerSourceServer(ctx, { agentId: known!.agentId, report }, { quota })).resolves.toMatchObject({ isNew: false });
  });
});
