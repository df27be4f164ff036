import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { serverTemplates, sourceServers, tasks } from "@/drizzle/schema";
import { assertCan } from "../../authz/assert-can";
import type { Tx } from "../../db";
import { conflict, notFound } from "../../errors";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { ACTIVE_TASK_STATES } from "../tasks/state-machine";
import { createServerTemplateSchema, serverSettingsSchema, templateIdSchema, updateServerTemplateSchema, type ServerSettings } from "./schemas";

export type ServerTemplateDto = {
  id: string;
  name: string;
  description: string;
  targetServerId: string | null;
  targetServerName: string | null;
  settings: ServerSettings;
  updatedAt: Date;
};

function selectTemplates(ctx: ServiceContext) {
  return ctx.db
    .select({ template: serverTemplates, targetServerName: sourceServers.hostname })
    .from(serverTemplates)
    .leftJoin(sourceServers, eq(sourceServers.id, serverTemplates.targetServerId));
}

function toDto(row: { template: typeof serverTemplates.$inferSelect; targetServerName: string | null }): ServerTemplateDto {
  const t = row.template;
  return { id: t.id, name: t.name, description: t.description, targetServerId: t.targetServerId, targetServerName: row.targetServerName, settings: serverSettingsSchema.parse(t.settings), updatedAt: t.updatedAt };
}

export async function listServerTemplates(ctx: ServiceContext): Promise<ServerTemplateDto[]> {
  await assertCan(ctx, "sms:serverTemplate:list");
  const rows = await selectTemplates(ctx).where(eq(serverTemplates.accountId, ctx.actor.accountId)).orderBy(asc(serverTemplates.name));
  return rows.map(toDto);
}

export async function getServerTemplate(ctx: ServiceContext, input: { templateId: string }) {
  const { templateId } = templateIdSchema.parse(input);
  await assertCan(ctx, "sms:serverTemplate:get");
  const [row] = await selectTemplates(ctx).where(and(eq(serverTemplates.id, templateId), eq(serverTemplates.accountId, ctx.actor.accountId)));
  if (!row) throw notFound("Server template");
  return toDto(row);
}

async function assertValid(tx: Tx, accountId: string, name: string, targetServerId: string | null, exceptId?: string) {
  const [taken] = await tx
    .select({ id: serverTemplates.id })
    .from(serverTemplates)
    .where(and(eq(serverTemplates.accountId, accountId), sql`lower(${serverTemplates.name}) = lower(${name})`));
  if (taken && taken.id !== exceptId) throw conflict(`A server template named "${name}" already exists.`);
  if (targetServerId) {
    const [target] = await tx
      .select({ id: sourceServers.id })
      .from(sourceServers)
      .where(and(eq(sourceServers.id, targetServerId), eq(sourceServers.accountId, accountId), eq(sourceServers.role, "target")));
    if (!target) throw notFound("Target server");
  }
}

export async function createServerTemplate(ctx: ServiceContext, input: unknown) {
  const data = createServerTemplateSchema.parse(input);
  return audited(ctx, { action: "sms:serverTemplate:create", resourceType: "serverTemplate" }, async (tx) => {
    await assertValid(tx, ctx.actor.accountId, data.name, data.targetServerId);
    const [row] = await tx.insert(serverTemplates).values({ accountId: ctx.actor.accountId, ...data }).returning();
    return { value: { id: row!.id }, resourceId: row!.id, resourceName: row!.name };
  });
}

export async function updateServerTemplate(ctx: ServiceContext, input: unknown) {
  const data = updateServerTemplateSchema.parse(input);
  return audited(ctx, { action: "sms:serverTemplate:update", resourceType: "serverTemplate", resourceId: data.templateId }, async (tx) => {
    await assertValid(tx, ctx.actor.accountId, data.name, data.targetServerId, data.templateId);
    const [row] = await tx
      .update(serverTemplates)
      .set({ name: data.name, description: data.description, targetServerId: data.targetServerId, settings: data.settings, updatedAt: new Date() })
      .where(and(eq(serverTemplates.id, data.templateId), eq(serverTemplates.accountId, ctx.actor.accountId)))
      .returning();
    if (!row) throw notFound("Server template");
    return { value: { id: row.id }, resourceName: row.name };
  });
}

export async function deleteServerTemplate(ctx: ServiceContext, input: { templateId: string }) {
  const { templateId } = templateIdSchema.parse(input);
  return audited(ctx, { action: "sms:serverTemplate:delete", resourceType: "serverTemplate", resourceId: templateId }, async (tx) => {
    const [row] = await tx
      .select()
      .from(serverTemplates)
      .where(and(eq(serverTemplates.id, templateId), eq(serverTemplates.accountId, ctx.actor.accountId)))
      .for("update");
    if (!row) throw notFound("Server template");
    const [inUse] = await tx
      .select({ name: tasks.name })
      .from(tasks)
      .where(and(eq(tasks.serverTemplateId, templateId), inArray(tasks.state, [...ACTIVE_TASK_STATES])))
      .limit(1);
    if (inUse) throw conflict(`The running task "${inUse.name}" uses this template. Wait until it finishes or stop it first.`);
    await tx.delete(serverTemplates).where(eq(serverTemplates.id, templateId));
    return { value: { id: templateId }, resourceName: row.name };
  });
}
