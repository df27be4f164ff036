import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db";
import { createTestAccount } from "../../testing/fixtures";
import { createTestDatabase } from "../../testing/test-db";
import { exportAuditEventsCsv, listAuditEvents } from "./list";
import { recordAudit } from "./record";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

describe("audit trail listing", () => {
  it("pages through rows that share one timestamp without skipping or repeating any", async () => {
    const { account, actor, ctx } = await createTestAccount(database.db);
    // now() is fixed inside a transaction, so these seven rows get the very same occurred_at.
    await database.db.transaction(async (tx) => {
      for (let i = 0; i < 7; i++) await recordAudit(tx, { accountId: account.id, actor, operation: `test:op${i}`, result: "success" });
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = await listAuditEvents(ctx, { operation: "test:op", limit: 3, cursor });
      seen.push(...rows.map((r) => r.operation));
      if (rows.length < 3) break;
      cursor = rows.at(-1)!.cursor;
    }
    expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `test:op${i}`));
  });

  it("filters by result and user, and exports CSV that a spreadsheet cannot run as a formula", async () => {
    const { account, actor, ctx } = await createTestAccount(database.db);
    await recordAudit(database.db, { accountId: account.id, actor, operation: "test:refused", resourceName: "=HYPERLINK(1)", result: "failure", errorCode: "FORBIDDEN" });
    await recordAudit(database.db, { accountId: account.id, actor, operation: "test:allowed", result: "success" });
    const failures = await listAuditEvents(ctx, { result: "failure", user: actor.email.slice(0, 12) });
    expect(failures.map((r) => r.operation)).toEqual(["test:refused"]);
    const csv = await exportAuditEventsCsv(ctx, { result: "failure" });
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe("occurredAt,userName,accessKeyId,sourceIp,operation,resourceType,resourceId,resourceName,result,errorCode");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=HYPERLINK(1)"`);
    expect(lines[1]).toContain('"FORBIDDEN"');
  });

  it("shows one account nothing of another's", async () => {
    const a = await createTestAccount(database.db);
    const b = await createTestAccount(database.db);
    await recordAudit(database.db, { accountId: a.account.id, actor: a.actor, operation: "test:secret-of-a", result: "success" });
    expect(await listAuditEvents(b.ctx, { operation: "test:secret-of-a" })).toEqual([]);
  });
});
