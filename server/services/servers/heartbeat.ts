import { and, eq } from "drizzle-orm";
import { sourceServers } from "@/drizzle/schema";
import { heartbeatRequestSchema, type HeartbeatRequest, type HeartbeatResponse } from "@/agent/src/protocol/v1/control";
import { assertCan } from "../../authz/assert-can";
import { notFound } from "../../errors";
import type { ServiceContext } from "../context";
import { startDueContinuousSyncs } from "../tasks/continuous-sync";
import { heartbeatIntervalSeconds } from "./connection";

/**
 * Records that the agent is alive. Not written to the audit trail: it changes nothing a person did
 * and would add a row every few seconds per server (millions a day at the 1,000-server quota).
 */
export async function recordHeartbeat(ctx: ServiceContext, input: HeartbeatRequest): Promise<HeartbeatResponse> {
  await assertCan(ctx, "sms:server:heartbeat");
  const { agentId } = heartbeatRequestSchema.parse(input);
  const [row] = await ctx.db
    .update(sourceServers)
    .set({ lastHeartbeatAt: new Date() })
    .where(and(eq(sourceServers.accountId, ctx.actor.accountId), eq(sourceServers.agentId, agentId)))
    .returning({ id: sourceServers.id, role: sourceServers.role });
  if (!row) throw notFound("This agent's source server (it may have been deleted in the console)");
  if (row.role === "source") {
    // A heartbeat must not fail because a sync could not start; the task's next read settles it.
    await startDueContinuousSyncs(ctx.db, ctx.actor.accountId, row.id).catch((error) => console.error("[tasks] continuous sync could not start:", error));
  }
  return { serverId: row.id, heartbeatIntervalSeconds: heartbeatIntervalSeconds() };
}
