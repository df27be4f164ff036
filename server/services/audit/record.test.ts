import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accounts, auditEvents } from "@/drizzle/schema";
import type { Database } from "../../db";
import { createTestAccount } from "../../testing/fixtures";
import { createTestDatabase } from "../../testing/test-db";
import { maskSecrets, recordAudit } from "./record";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

describe("audit trail", () => {
  it("masks secrets at any depth", () => {
    expect(maskSecrets({ name: "a", password: "p", nested: [{ secretKey: "s", ok: 1 }] })).toEqual({
      name: "a",
      password: "***",
      nested: [{ secretKey: "***", ok: 1 }],
    });
  });

  it("is append-only: the database refuses UPDATE and DELETE", async () => {
    const { account, actor } = await createTestAccount(database.db);
    await recordAudit(database.db, { accountId: account.id, actor, operation: "test:op", result: "success" });
    await expect(database.db.update(auditEvents).set({ operation: "forged" }).where(eq(auditEvents.accountId, account.id))).rejects.toThrow();
    await expect(database.db.delete(auditEvents).where(eq(auditEvents.accountId, account.id))).rejects.toThrow();
    const rows = await database.db.select().from(auditEvents).where(eq(auditEvents.accountId, account.id));
    expect(rows.map((r) => r.operation)).toEqual(["test:op"]);
  });

  it("still lets an account be deleted with its trail", async () => {
    const { account, actor } = await createTestAccount(database.db);
    await recordAudit(database.db, { accountId: account.id, actor, operation: "test:op", result: "success" });
    await database.db.delete(accounts).where(eq(accounts.id, account.id));
    const [left] = await database.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents).where(eq(auditEvents.accountId, account.id));
    expect(left!.n).toBe(0);
  });
});
