import { and, eq, or } from "drizzle-orm";
import { sourceServers, tasks } from "@/drizzle/schema";
import { conflict, notFound } from "../../errors";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { serverIdSchema, type ServerIdInput } from "./schemas";

/**
 * Deletes a server record with its commands and logs. Its agent, if still running, is refused on
 * its next call and stops; started again it registers as a new server.
 */
export async function deleteServer(ctx: ServiceContext, input: ServerIdInput): Promise<{ id: string }> {
  const { serverId } = serverIdSchema.parse(input);
  return audited(ctx, { action: "sms:server:delete", resourceType: "server", resourceId: serverId }, async (tx) => {
    const [task] = await tx
      .select({ name: tasks.name })
      .from(tasks)
      .where(and(eq(tasks.accountId, ctx.actor.accountId), or(eq(tasks.sourceServerId, serverId), eq(tasks.targetServerId, serverId))))
      .limit(1);
    if (task) throw conflict(`The migration task "${task.name}" uses this server. Delete the task first.`);
    const [row] = await tx
      .delete(sourceServers)
      .where(and(eq(sourceServers.accountId, ctx.actor.accountId), eq(sourceServers.id, serverId)))
      .returning({ id: sourceServers.id, hostname: sourceServers.hostname });
    if (!row) throw notFound("The source server");
    return { value: { id: row.id }, resourceName: row.hostname };
  });
}
