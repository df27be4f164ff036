import { and, asc, eq, inArray, ne, sql } from "drizzle-orm";
import { migrationTemplates, tasks } from "@/drizzle/schema";
import { assertCan } from "../../authz/assert-can";
import type { Tx } from "../../db";
import { conflict, notFound } from "../../errors";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { ACTIVE_TASK_STATES } from "../tasks/state-machine";
import { createMigrationTemplateSchema, migrationSettingsSchema, templateIdSchema, updateMigrationTemplateSchema, type MigrationSettings } from "./schemas";

export type MigrationTemplateDto = {
  id: string;
  name: string;
  description: string;
  isDefault: boolean;
  settings: MigrationSettings;
  updatedAt: Date;
};

function toDto(row: typeof migrationTemplates.$inferSelect): MigrationTemplateDto {
  return { id: row.id, name: row.name, description: row.description, isDefault: row.isDefault, settings: migrationSettingsSchema.parse(row.settings), updatedAt: row.updatedAt };
}

export async function listMigrationTemplates(ctx: ServiceContext): Promise<MigrationTemplateDto[]> {
  await assertCan(ctx, "sms:template:list");
  const rows = await ctx.db.select().from(migrationTemplates).where(eq(migrationTemplates.accountId, ctx.actor.accountId)).orderBy(asc(migrationTemplates.name));
  return rows.map(toDto);
}

export async function getMigrationTemplate(ctx: ServiceContext, input: { templateId: string }) {
  const { templateId } = templateIdSchema.parse(input);
  await assertCan(ctx, "sms:template:get");
  const [row] = await ctx.db.select().from(migrationTemplates).where(and(eq(migrationTemplates.id, templateId), eq(migrationTemplates.accountId, ctx.actor.accountId)));
  if (!row) throw notFound("Migration template");
  return toDto(row);
}

async function assertNameFree(tx: Tx, accountId: string, name: string, exceptId?: string) {
  const [taken] = await tx
    .select({ id: migrationTemplates.id })
    .from(migrationTemplates)
    .where(and(eq(migrationTemplates.accountId, accountId), sql`lower(${migrationTemplates.name}) = lower(${name})`));
  if (taken && taken.id !== exceptId) throw conflict(`A migration template named "${name}" already exists.`);
}

/** Making one template the default takes the mark off the others (one default per account). */
async function clearOtherDefaults(tx: Tx, accountId: string, keepId: string) {
  await tx
    .update(migrationTemplates)
    .set({ isDefault: false })
    .where(and(eq(migrationTemplates.accountId, accountId), eq(migrationTemplates.isDefault, true), ne(migrationTemplates.id, keepId)));
}

export async function createMigrationTemplate(ctx: ServiceContext, input: unknown) {
  const data = createMigrationTemplateSchema.parse(input);
  return audited(ctx, { action: "sms:template:create", resourceType: "template" }, async (tx) => {
    await assertNameFree(tx, ctx.actor.accountId, data.name);
    const id = crypto.randomUUID();
    if (data.isDefault) await clearOtherDefaults(tx, ctx.actor.accountId, id);
    const [row] = await tx.insert(migrationTemplates).values({ id, accountId: ctx.actor.accountId, ...data }).returning();
    return { value: toDto(row!), resourceId: row!.id, resourceName: row!.name };
  });
}

export async function updateMigrationTemplate(ctx: ServiceContext, input: unknown) {
  const data = updateMigrationTemplateSchema.parse(input);
  return audited(ctx, { action: "sms:template:update", resourceType: "template", resourceId: data.templateId }, async (tx) => {
    await assertNameFree(tx, ctx.actor.accountId, data.name, data.templateId);
    if (data.isDefault) await clearOtherDefaults(tx, ctx.actor.accountId, data.templateId);
    const [row] = await tx
      .update(migrationTemplates)
      .set({ name: data.name, description: data.description, isDefault: data.isDefault, settings: data.settings, updatedAt: new Date() })
      .where(and(eq(migrationTemplates.id, data.templateId), eq(migrationTemplates.accountId, ctx.actor.accountId)))
      .returning();
    if (!row) throw notFound("Migration template");
    return { value: toDto(row), resourceName: row.name };
  });
}

export async function deleteMigrationTemplate(ctx: ServiceContext, input: { templateId: string }) {
  const { templateId } = templateIdSchema.parse(input);
  return audited(ctx, { action: "sms:template:delete", resourceType: "template", resourceId: templateId }, async (tx) => {
    const [row] = await tx
      .select()
      .from(migrationTemplates)
      .where(and(eq(migrationTemplates.id, templateId), eq(migrationTemplates.accountId, ctx.actor.accountId)))
      .for("update");
    if (!row) throw notFound("Migration template");
    const [inUse] = await tx
      .select({ name: tasks.name })
      .from(tasks)
      .where(and(eq(tasks.migrationTemplateId, templateId), inArray(tasks.state, [...ACTIVE_TASK_STATES])))
      .limit(1);
    if (inUse) throw conflict(`The running task "${inUse.name}" uses this template. Wait until it finishes or stop it first.`);
    await tx.delete(migrationTemplates).where(eq(migrationTemplates.id, templateId));
    return { value: { id: templateId }, resourceName: row.name };
  });
}
