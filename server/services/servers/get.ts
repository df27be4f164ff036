import { and, eq } from "drizzle-orm";
import { sourceServers } from "@/drizzle/schema";
import type { TargetCapabilities } from "@/agent/src/protocol/v1/register";
import { parseSourceReport, type SourceReport } from "@/agent/src/protocol/v1/report";
import { assertCan } from "../../authz/assert-can";
import { resourceName } from "../../authz/resources";
import { notFound } from "../../errors";
import type { ServiceContext } from "../context";
import { connectionOf, heartbeatIntervalSeconds, type ConnectionState } from "./connection";
import { checkFeasibility, type FeasibilityResult } from "./feasibility";
import { serverIdSchema, type ServerIdInput } from "./schemas";

export type ServerDetailDto = {
  id: string;
  agentId: string;
  hostname: string;
  osName: string;
  ipAddresses: string[];
  accessKeyId: string | null;
  connection: ConnectionState;
  heartbeatIntervalSeconds: number;
  lastHeartbeatAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  report: SourceReport;
  feasibility: FeasibilityResult;
  /** Target servers: the disks and folder their agent offers; null for source servers. */
  targetCapabilities: TargetCapabilities | null;
};

/** A server with its last report and the feasibility check of that report under today's rules. */
export async function getServer(ctx: ServiceContext, input: ServerIdInput): Promise<ServerDetailDto> {
  const { serverId } = serverIdSchema.parse(input);
  await assertCan(ctx, "sms:server:get", resourceName("server", ctx.actor.accountId, serverId));
  const [row] = await ctx.db
    .select()
    .from(sourceServers)
    .where(and(eq(sourceServers.accountId, ctx.actor.accountId), eq(sourceServers.id, serverId)));
  if (!row) throw notFound("The source server");
  const parsed = parseSourceReport(row.report);
  // Stored reports were validated on arrival; one that no longer parses is a schema change to fix.
  if (!parsed.ok) throw new Error(`Stored report of server ${row.id} no longer parses: ${parsed.reason}`);
  const interval = heartbeatIntervalSeconds();
  return {
    id: row.id,
    agentId: row.agentId,
    hostname: row.hostname,
    osName: row.osName,
    ipAddresses: row.ipAddresses ? row.ipAddresses.split(" ") : [],
    accessKeyId: row.accessKeyId,
    connection: connectionOf(row.lastHeartbeatAt, new Date(), interval),
    heartbeatIntervalSeconds: interval,
    lastHeartbeatAt: row.lastHeartbeatAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    report: parsed.report,
    // Recomputed rather than read back, so a change to the rules shows without a new report.
    feasibility: checkFeasibility(parsed.report),
    targetCapabilities: (row.targetCapabilities as TargetCapabilities | null) ?? null,
  };
}
