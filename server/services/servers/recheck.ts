import { and, eq } from "drizzle-orm";
import { sourceServers } from "@/drizzle/schema";
import { parseSourceReport } from "@/agent/src/protocol/v1/report";
import { badRequest, notFound } from "../../errors";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { checkFeasibility } from "./feasibility";
import { serverIdSchema, type ServerIdInput } from "./schemas";

/** Re-runs the feasibility check on the server's last report under today's rules and keeps the result. */
export async function recheckServer(ctx: ServiceContext, input: ServerIdInput) {
  const { serverId } = serverIdSchema.parse(input);
  return audited(ctx, { action: "sms:server:update", resourceType: "server", resourceId: serverId, details: { recheck: true } }, async (tx) => {
    const [row] = await tx
      .select({ id: sourceServers.id, hostname: sourceServers.hostname, report: sourceServers.report, role: sourceServers.role })
      .from(sourceServers)
      .where(and(eq(sourceServers.accountId, ctx.actor.accountId), eq(sourceServers.id, serverId)));
    if (!row) throw notFound("The source server");
    if (row.role !== "source") throw badRequest("Only source servers are checked for migration.");
    const parsed = parseSourceReport(row.report);
    if (!parsed.ok) throw badRequest("The stored report cannot be read any more; refresh the report from the agent.");
    const feasibility = checkFeasibility(parsed.report);
    await tx.update(sourceServers).set({ feasibility, updatedAt: new Date() }).where(eq(sourceServers.id, row.id));
    return { value: { verdict: feasibility.verdict, sourceState: feasibility.sourceState }, resourceName: row.hostname };
  });
}
