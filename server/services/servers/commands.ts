import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { sourceCommands, sourceServers } from "@/drizzle/schema";
import {
  ackCommandRequestSchema,
  MAX_POLL_WAIT_SECONDS,
  pollCommandsRequestSchema,
  reportCommandResultRequestSchema,
  type AckCommandRequest,
  type CommandType,
  type DeliveredCommand,
  type PollCommandsRequest,
  type PollCommandsResponse,
  type ReportCommandResultRequest,
} from "@/agent/src/protocol/v1/control";
import { assertCan } from "../../authz/assert-can";
import { resourceName } from "../../authz/resources";
import { conflict, notFound } from "../../errors";
import { audited } from "../audit/audited";
import { onTaskCommandFinished } from "../tasks/agent-reports";
import type { ServiceContext } from "../context";
import { findAgentServer } from "./find-agent-server";
import { queueCommandSchema, serverIdSchema, type QueueCommandInput, type ServerIdInput } from "./schemas";

const PENDING_STATES = ["queued", "delivered", "acked"] as const;
/** How often a waiting poll looks for new commands. */
export const POLL_CHECK_INTERVAL_MS = 500;
/** Most commands handed out by one poll. */
const MAX_COMMANDS_PER_POLL = 10;

export type CommandDto = {
  id: string;
  type: CommandType;
  state: "queued" | "delivered" | "acked" | "succeeded" | "failed";
  deliveredCount: number;
  result: { message: string; details?: Record<string, unknown> } | null;
  createdAt: Date;
  deliveredAt: Date | null;
  ackedAt: Date | null;
  finishedAt: Date | null;
};

async function findServerOfAccount(ctx: ServiceContext, serverId: string) {
  const [server] = await ctx.db
    .select({ id: sourceServers.id, hostname: sourceServers.hostname })
    .from(sourceServers)
    .where(and(eq(sourceServers.accountId, ctx.actor.accountId), eq(sourceServers.id, serverId)));
  if (!server) throw notFound("The source server");
  return server;
}

/** Queues a command for a server's agent; one of each type may be pending at a time. */
export async function queueCommand(ctx: ServiceContext, input: QueueCommandInput): Promise<CommandDto> {
  const { serverId, type } = queueCommandSchema.parse(input);
  return audited(ctx, { action: "sms:command:create", resourceType: "server", resourceId: serverId, details: { type } }, async (tx) => {
    const [server] = await tx
      .select({ id: sourceServers.id, hostname: sourceServers.hostname })
      .from(sourceServers)
      .where(and(eq(sourceServers.accountId, ctx.actor.accountId), eq(sourceServers.id, serverId)))
      .for("update");
    if (!server) throw notFound("The source server");
    const [pending] = await tx
      .select({ id: sourceCommands.id })
      .from(sourceCommands)
      .where(and(eq(sourceCommands.serverId, serverId), eq(sourceCommands.type, type), inArray(sourceCommands.state, [...PENDING_STATES])));
    if (pending) throw conflict(`A ${type.replace("_", " ")} command for this server is already waiting for its agent.`);
    const [row] = await tx
      .insert(sourceCommands)
      .values({ accountId: ctx.actor.accountId, serverId, type, createdBy: ctx.actor.userId })
      .returning();
    return { value: toDto(row!), resourceName: server.hostname };
  });
}

export async function listCommands(ctx: ServiceContext, input: ServerIdInput): Promise<CommandDto[]> {
  const { serverId } = serverIdSchema.parse(input);
  await assertCan(ctx, "sms:command:list", resourceName("server", ctx.actor.accountId, serverId));
  await findServerOfAccount(ctx, serverId);
  const rows = await ctx.db
    .select()
    .from(sourceCommands)
    .where(and(eq(sourceCommands.accountId, ctx.actor.accountId), eq(sourceCommands.serverId, serverId)))
    .orderBy(desc(sourceCommands.createdAt))
    .limit(50);
  return rows.map(toDto);
}

function toDto(row: typeof sourceCommands.$inferSelect): CommandDto {
  return {
    id: row.id,
    type: row.type,
    state: row.state,
    deliveredCount: row.deliveredCount,
    result: row.result ?? null,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
    ackedAt: row.ackedAt,
    finishedAt: row.finishedAt,
  };
}

/** Hands out queued commands and those delivered before but never acknowledged (the agent may have died). */
async function claimCommands(ctx: ServiceContext, serverId: string): Promise<DeliveredCommand[]> {
  const pending = ctx.db
    .select({ id: sourceCommands.id })
    .from(sourceCommands)
    .where(and(eq(sourceCommands.serverId, serverId), inArray(sourceCommands.state, ["queued", "delivered"])))
    .orderBy(asc(sourceCommands.createdAt))
    .limit(MAX_COMMANDS_PER_POLL);
  const rows = await ctx.db
    .update(sourceCommands)
    .set({ state: "delivered", deliveredCount: sql`${sourceCommands.deliveredCount} + 1`, deliveredAt: new Date() })
    .where(and(eq(sourceCommands.accountId, ctx.actor.accountId), inArray(sourceCommands.id, pending), inArray(sourceCommands.state, ["queued", "delivered"])))
    .returning();
  return rows
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
    .map((row) => ({ id: row.id, type: row.type, payload: row.payload, deliveredCount: row.deliveredCount }));
}

async function hasPendingCommand(ctx: ServiceContext, serverId: string): Promise<boolean> {
  const [row] = await ctx.db
    .select({ id: sourceCommands.id })
    .from(sourceCommands)
    .where(and(eq(sourceCommands.serverId, serverId), inArray(sourceCommands.state, ["queued", "delivered"])))
    .limit(1);
  return Boolean(row);
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * The agent's long poll: answers as soon as a command is waiting, or with none after waitSeconds
 * (at most MAX_POLL_WAIT_SECONDS). The wait only reads the database, so any console instance can
 * serve any poll and none keeps state.
 */
export async function pollCommands(
  ctx: ServiceContext,
  input: PollCommandsRequest,
  options: { signal?: AbortSignal; checkIntervalMs?: number } = {},
): Promise<PollCommandsResponse> {
  await assertCan(ctx, "sms:command:poll");
  const { agentId, waitSeconds } = pollCommandsRequestSchema.parse(input);
  const server = await findAgentServer(ctx.db, ctx.actor.accountId, agentId);
  const deadline = Date.now() + Math.min(waitSeconds, MAX_POLL_WAIT_SECONDS) * 1000;
  const checkIntervalMs = options.checkIntervalMs ?? POLL_CHECK_INTERVAL_MS;
  for (;;) {
    if (await hasPendingCommand(ctx, server.id)) {
      // A request whose agent went away would deliver to nobody; the next poll gets them anyway.
      if (options.signal?.aborted) return { commands: [] };
      const commands = await claimCommands(ctx, server.id);
      if (commands.length) return { commands };
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0 || options.signal?.aborted) return { commands: [] };
    await delay(Math.min(checkIntervalMs, remaining), options.signal);
  }
}

async function findAgentCommand(ctx: ServiceContext, agentId: string, commandId: string) {
  const server = await findAgentServer(ctx.db, ctx.actor.accountId, agentId);
  const [command] = await ctx.db
    .select()
    .from(sourceCommands)
    .where(and(eq(sourceCommands.accountId, ctx.actor.accountId), eq(sourceCommands.serverId, server.id), eq(sourceCommands.id, commandId)));
  if (!command) throw notFound("The command");
  return { server, command };
}

/** The agent recorded the command: stop delivering it. Acknowledging twice is harmless. */
export async function ackCommand(ctx: ServiceContext, input: AckCommandRequest): Promise<{ state: CommandDto["state"] }> {
  const { agentId, commandId } = ackCommandRequestSchema.parse(input);
  await assertCan(ctx, "sms:command:ack", resourceName("command", ctx.actor.accountId, commandId));
  const { command } = await findAgentCommand(ctx, agentId, commandId);
  if (command.state !== "queued" && command.state !== "delivered") return { state: command.state };
  return audited(ctx, { action: "sms:command:ack", resourceType: "command", resourceId: commandId, details: { type: command.type } }, async (tx) => {
    const [row] = await tx
      .update(sourceCommands)
      .set({ state: "acked", ackedAt: new Date() })
      .where(and(eq(sourceCommands.id, commandId), inArray(sourceCommands.state, ["queued", "delivered"])))
      .returning({ state: sourceCommands.state });
    return { value: { state: row?.state ?? command.state } };
  });
}

/** How the command ended. A command already finished keeps its first outcome. */
export async function reportCommandResult(ctx: ServiceContext, input: ReportCommandResultRequest): Promise<{ state: CommandDto["state"] }> {
  const { agentId, commandId, outcome, result } = reportCommandResultRequestSchema.parse(input);
  await assertCan(ctx, "sms:command:ack", resourceName("command", ctx.actor.accountId, commandId));
  const { command } = await findAgentCommand(ctx, agentId, commandId);
  if (command.state === "succeeded" || command.state === "failed") return { state: command.state };
  return audited(ctx, { action: "sms:command:ack", resourceType: "command", resourceId: commandId, details: { type: command.type, outcome } }, async (tx) => {
    const now = new Date();
    const [row] = await tx
      .update(sourceCommands)
      .set({ state: outcome, result, finishedAt: now, ackedAt: sql`coalesce(${sourceCommands.ackedAt}, now())` })
      .where(and(eq(sourceCommands.id, commandId), inArray(sourceCommands.state, ["queued", "delivered", "acked"])))
      .returning({ state: sourceCommands.state });
    // A task command's outcome moves its task on, in the same transaction.
    if (row && command.type.startsWith("task_")) await onTaskCommandFinished(tx, ctx.actor.accountId, command, outcome, result);
    return { value: { state: row?.state ?? command.state } };
  });
}
