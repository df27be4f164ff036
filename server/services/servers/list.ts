import { and, asc, count, desc, eq, gt, ilike, inArray, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import { sourceServers, tasks } from "@/drizzle/schema";
import { assertCan } from "../../authz/assert-can";
import type { ServiceContext } from "../context";
import { migrationCycleOf, type MigrationCycle, type TaskState } from "../tasks/state-machine";
import { connectionOf, heartbeatIntervalSeconds, offlineAfterMs, type ConnectionState } from "./connection";
import type { CheckStatus, FeasibilityResult } from "./feasibility";
import { listServersSchema, type ListServersInput } from "./schemas";
import type { TargetCapabilities } from "@/agent/src/protocol/v1/register";

export type ServerSummaryDto = {
  id: string;
  hostname: string;
  osName: string;
  ipAddresses: string[];
  connection: ConnectionState;
  lastHeartbeatAt: Date | null;
  verdict: CheckStatus | null;
  /** SMS's migration cycle of a source: checking, setting, replicating, syncing, cutovering, cutovered. */
  migrationCycle: MigrationCycle;
  failedChecks: number;
  warnedChecks: number;
  /** Target servers: the disks and folder their agent offers; null for source servers. */
  targetCapabilities: TargetCapabilities | null;
  createdAt: Date;
};

function like(value: string) {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function summarizeFeasibility(feasibility: unknown): Pick<ServerSummaryDto, "verdict" | "failedChecks" | "warnedChecks"> {
  const result = feasibility as FeasibilityResult | null;
  if (!result?.checks) return { verdict: null, failedChecks: 0, warnedChecks: 0 };
  return {
    verdict: result.verdict,
    failedChecks: result.checks.filter((c) => c.status === "fail").length,
    warnedChecks: result.checks.filter((c) => c.status === "warn").length,
  };
}

/** One page of the account's source servers, searched, filtered and sorted in the database. */
export async function listServers(ctx: ServiceContext, input: ListServersInput = {}): Promise<{ items: ServerSummaryDto[]; total: number; page: number; pageSize: number }> {
  const f = listServersSchema.parse(input);
  await assertCan(ctx, f.role === "target" ? "sms:targetServer:list" : "sms:server:list");
  const now = new Date();
  const interval = heartbeatIntervalSeconds();
  const connectedSince = new Date(now.getTime() - offlineAfterMs(interval));
  const where: (SQL | undefined)[] = [eq(sourceServers.accountId, ctx.actor.accountId), eq(sourceServers.role, f.role)];
  if (f.search) {
    const pattern = like(f.search);
    where.push(or(ilike(sourceServers.hostname, pattern), ilike(sourceServers.ipAddresses, pattern), ilike(sourceServers.osName, pattern)));
  }
  if (f.connection === "connected") where.push(gt(sourceServers.lastHeartbeatAt, connectedSince));
  if (f.connection === "offline") where.push(or(isNull(sourceServers.lastHeartbeatAt), lte(sourceServers.lastHeartbeatAt, connectedSince)));
  if (f.verdict) where.push(sql`${sourceServers.feasibility}->>'verdict' = ${f.verdict}`);
  const column = { hostname: sourceServers.hostname, lastHeartbeatAt: sourceServers.lastHeartbeatAt, createdAt: sourceServers.createdAt }[f.sort];
  const direction = f.order === "asc" ? asc : desc;
  const condition = and(...where);
  const [rows, [totals]] = await Promise.all([
    ctx.db
      .select({
        id: sourceServers.id,
        hostname: sourceServers.hostname,
        osName: sourceServers.osName,
        ipAddresses: sourceServers.ipAddresses,
        lastHeartbeatAt: sourceServers.lastHeartbeatAt,
        feasibility: sourceServers.feasibility,
        targetCapabilities: sourceServers.targetCapabilities,
        createdAt: sourceServers.createdAt,
      })
      .from(sourceServers)
      .where(condition)
      .orderBy(direction(column), asc(sourceServers.id))
      .limit(f.pageSize)
      .offset((f.page - 1) * f.pageSize),
    ctx.db.select({ n: count() }).from(sourceServers).where(condition),
  ]);
  // The migration cycle SMS shows for a source comes from its newest task (checking while it has none).
  const taskRows = rows.length
    ? await ctx.db
        .select({ sourceServerId: tasks.sourceServerId, state: tasks.state })
        .from(tasks)
        .where(and(eq(tasks.accountId, ctx.actor.accountId), inArray(tasks.sourceServerId, rows.map((r) => r.id))))
        .orderBy(desc(tasks.createdAt))
    : [];
  const newestTaskState = new Map<string, TaskState>();
  for (const t of taskRows) if (!newestTaskState.has(t.sourceServerId)) newestTaskState.set(t.sourceServerId, t.state);
  return {
    items: rows.map((row) => ({
      id: row.id,
      hostname: row.hostname,
      osName: row.osName,
      ipAddresses: row.ipAddresses ? row.ipAddresses.split(" ") : [],
      connection: connectionOf(row.lastHeartbeatAt, now, interval),
      lastHeartbeatAt: row.lastHeartbeatAt,
      ...summarizeFeasibility(row.feasibility),
      targetCapabilities: (row.targetCapabilities as TargetCapabilities | null) ?? null,
      migrationCycle: migrationCycleOf(newestTaskState.get(row.id) ?? null),
      createdAt: row.createdAt,
    })),
    total: totals?.n ?? 0,
    page: f.page,
    pageSize: f.pageSize,
  };
}
