import { and, desc, eq, notInArray } from "drizzle-orm";
import { agentLogs, sourceCommands } from "@/drizzle/schema";
import { uploadLogRequestSchema, type UploadLogRequest } from "@/agent/src/protocol/v1/control";
import { assertCan } from "../../authz/assert-can";
import { resourceName } from "../../authz/resources";
import { notFound } from "../../errors";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { findAgentServer } from "./find-agent-server";
import { logIdSchema, serverIdSchema, type LogIdInput, type ServerIdInput } from "./schemas";

/** Uploads kept per server; older ones are deleted when a new one arrives. */
export const LOGS_KEPT_PER_SERVER = 20;

export type AgentLogSummary = { id: string; fileName: string; sizeBytes: number; isTruncated: boolean; commandId: string | null; createdAt: Date };
export type AgentLogDto = AgentLogSummary & { serverId: string; content: string };

/** An agent uploads the recent part of its log (usually answering a collect_logs command). */
export async function uploadAgentLog(ctx: ServiceContext, input: UploadLogRequest): Promise<{ logId: string }> {
  const data = uploadLogRequestSchema.parse(input);
  const server = await findAgentServer(ctx.db, ctx.actor.accountId, data.agentId);
  return audited(ctx, { action: "sms:log:upload", resourceType: "server", resourceId: server.id, details: { fileName: data.fileName } }, async (tx) => {
    let commandId: string | null = null;
    if (data.commandId) {
      // Only a command of this very server may be linked; anything else is dropped, not trusted.
      const [command] = await tx
        .select({ id: sourceCommands.id })
        .from(sourceCommands)
        .where(and(eq(sourceCommands.accountId, ctx.actor.accountId), eq(sourceCommands.serverId, server.id), eq(sourceCommands.id, data.commandId)));
      commandId = command?.id ?? null;
    }
    const [row] = await tx
      .insert(agentLogs)
      .values({
        accountId: ctx.actor.accountId,
        serverId: server.id,
        commandId,
        fileName: data.fileName,
        sizeBytes: Buffer.byteLength(data.content, "utf8"),
        isTruncated: data.isTruncated,
        content: data.content,
      })
      .returning({ id: agentLogs.id });
    const kept = tx
      .select({ id: agentLogs.id })
      .from(agentLogs)
      .where(eq(agentLogs.serverId, server.id))
      .orderBy(desc(agentLogs.createdAt), desc(agentLogs.id))
      .limit(LOGS_KEPT_PER_SERVER);
    await tx.delete(agentLogs).where(and(eq(agentLogs.serverId, server.id), notInArray(agentLogs.id, kept)));
    return { value: { logId: row!.id }, resourceName: server.hostname };
  });
}

export async function listAgentLogs(ctx: ServiceContext, input: ServerIdInput): Promise<AgentLogSummary[]> {
  const { serverId } = serverIdSchema.parse(input);
  await assertCan(ctx, "sms:log:get", resourceName("server", ctx.actor.accountId, serverId));
  return ctx.db
    .select({
      id: agentLogs.id,
      fileName: agentLogs.fileName,
      sizeBytes: agentLogs.sizeBytes,
      isTruncated: agentLogs.isTruncated,
      commandId: agentLogs.commandId,
      createdAt: agentLogs.createdAt,
    })
    .from(agentLogs)
    .where(and(eq(agentLogs.accountId, ctx.actor.accountId), eq(agentLogs.serverId, serverId)))
    .orderBy(desc(agentLogs.createdAt));
}

export async function getAgentLog(ctx: ServiceContext, input: LogIdInput): Promise<AgentLogDto> {
  const { logId } = logIdSchema.parse(input);
  await assertCan(ctx, "sms:log:get", resourceName("log", ctx.actor.accountId, logId));
  const [row] = await ctx.db
    .select()
    .from(agentLogs)
    .where(and(eq(agentLogs.accountId, ctx.actor.accountId), eq(agentLogs.id, logId)));
  if (!row) throw notFound("The log");
  return {
    id: row.id,
    serverId: row.serverId,
    fileName: row.fileName,
    sizeBytes: row.sizeBytes,
    isTruncated: row.isTruncated,
    commandId: row.commandId,
    createdAt: row.createdAt,
    content: row.content,
  };
}
