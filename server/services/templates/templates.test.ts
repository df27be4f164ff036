import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SMS_READ_ONLY_ACCESS } from "../../authz/system-policies";
import type { Database } from "../../db";
import { createTestAccount, createTestUser } from "../../testing/fixtures";
import { createTestDatabase } from "../../testing/test-db";
import { createMigrationTemplate, listMigrationTemplates, updateMigrationTemplate } from "./migration-templates";
import { DEFAULT_MIGRATION_SETTINGS } from "./schemas";
import { createServerTemplate } from "./server-templates";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

describe("migration templates", () => {
  it("keeps one default per account: marking another moves the mark", async () => {
    const { ctx } = await createTestAccount(database.db);
    const a = await createMigrationTemplate(ctx, { name: "a", isDefault: true, settings: DEFAULT_MIGRATION_SETTINGS });
    const b = await createMigrationTemplate(ctx, { name: "b", isDefault: true, settings: DEFAULT_MIGRATION_SETTINGS });
    let list = await listMigrationTemplates(ctx);
    expect(list.filter((t) => t.isDefault).map((t) => t.id)).toEqual([b.id]);
    await updateMigrationTemplate(ctx, { templateId: a.id, name: "a", isDefault: true, settings: DEFAULT_MIGRATION_SETTINGS });
    list = await listMigrationTemplates(ctx);
    expect(list.filter((t) => t.isDefault).map((t) => t.id)).toEqual([a.id]);
  });

  it("refuses bad settings with a message that says what to fix, and creates nothing", async () => {
    const { ctx } = await createTestAccount(database.db);
    await expect(createMigrationTemplate(ctx, { name: "neg", settings: { ...DEFAULT_MIGRATION_SETTINGS, limitMbps: -5 } })).rejects.toThrow(/more than 0/);
    await expect(
      createMigrationTemplate(ctx, { name: "win", settings: { ...DEFAULT_MIGRATION_SETTINGS, windows: [{ start: "25:00", end: "06:00", limitMbps: 10 }] } }),
    ).rejects.toThrow(/HH:MM/);
    await expect(
      createMigrationTemplate(ctx, {
        name: "many",
        settings: { ...DEFAULT_MIGRATION_SETTINGS, windows: Array.from({ length: 6 }, () => ({ start: "01:00", end: "02:00", limitMbps: 10 })) },
      }),
    ).rejects.toThrow(/At most 5/);
    expect(await listMigrationTemplates(ctx)).toEqual([]);
  });

  it("refuses duplicate names in one account but not across accounts", async () => {
    const a = await createTestAccount(database.db);
    const b = await createTestAccount(database.db);
    await createMigrationTemplate(a.ctx, { name: "Nightly", settings: DEFAULT_MIGRATION_SETTINGS });
    await expect(createMigrationTemplate(a.ctx, { name: "nightly", settings: DEFAULT_MIGRATION_SETTINGS })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(createMigrationTemplate(b.ctx, { name: "nightly", settings: DEFAULT_MIGRATION_SETTINGS })).resolves.toBeTruthy();
  });

  it("is refused to a read-only user", async () => {
    const { account } = await createTestAccount(database.db);
    const readOnly = await createTestUser(database.db, account.id, { policyIds: [SMS_READ_ONLY_ACCESS.id] });
    await expect(createMigrationTemplate(readOnly.ctx, { name: "x", settings: DEFAULT_MIGRATION_SETTINGS })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listMigrationTemplates(readOnly.ctx)).resolves.toEqual([]);
  });
});

describe("server templates", () => {
  it("validates the static network settings and refuses a target of another account", async () => {
    const a = await createTestAccount(database.db);
    await expect(
      createServerTemplate(a.ctx, {
        name: "bad ip",
        targetServerId: null,
        settings: { diskMappingPolicy: "in-order", network: { mode: "static", address: "10.0.0.5", gateway: "10.0.0.1", dns: [] }, hostname: null },
      }),
    ).rejects.toThrow(/prefix/);
    await expect(
      createServerTemplate(a.ctx, {
        name: "foreign",
        targetServerId: crypto.randomUUID(),
        settings: { diskMappingPolicy: "in-order", network: { mode: "keep-source" }, hostname: "web-01" },
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
