import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, users } from "@/drizzle/schema";
import type { Database } from "../../db";
import { createTestDatabase } from "../../testing/test-db";
import { verifyPassword } from "../auth/passwords";
import { createFirstAccount } from "./create-first-account";
import { isSetupNeeded } from "./status";

// This file owns its database: setup is only open while no user exists anywhere.
let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const input = {
  accountName: "Acme",
  name: "Ada Admin",
  email: "Ada@Example.test",
  password: "first-run-pass-1",
  confirmPassword: "first-run-pass-1",
};
const meta = { ip: "127.0.0.1" };

describe("first-run setup", () => {
  it("refuses a weak password and creates nothing", async () => {
    await expect(
      createFirstAccount(database.db, { ...input, password: "short", confirmPassword: "short" }, meta),
    ).rejects.toThrow(/at least 10 characters/);
    expect(await isSetupNeeded(database.db)).toBe(true);
  });

  it("creates the account and its administrator with a hashed password, once", async () => {
    const created = await createFirstAccount(database.db, input, meta);
    expect(created.email).toBe("ada@example.test");
    expect(await isSetupNeeded(database.db)).toBe(false);

    const [user] = await database.db.select().from(users).where(eq(users.id, created.userId));
    expect(user!.isAccountOwner).toBe(true);
    expect(user!.passwordHash).not.toContain(input.password);
    expect(await verifyPassword(input.password, user!.passwordHash)).toBe(true);

    const trail = await database.db.select().from(auditEvents).where(eq(auditEvents.accountId, created.accountId));
    expect(trail.map((e) => e.operation)).toEqual(["setup:createFirstAccount"]);
  });

  it("refuses a second setup, even when two race", async () => {
    const results = await Promise.allSettled([
      createFirstAccount(database.db, { ...input, email: "x@example.test" }, meta),
      createFirstAccount(database.db, { ...input, email: "y@example.test" }, meta),
    ]);
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(await database.db.select().from(users)).toHaveLength(1);
  });
});
