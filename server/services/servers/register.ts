import { and, count, eq, sql } from "drizzle-orm";
import { sourceServers } from "@/drizzle/schema";
import { registerSourceRequestSchema, type RegisterSourceRequest } from "@/agent/src/protocol/v1/register";
import type { SourceReport } from "@/agent/src/protocol/v1/report";
import { DomainError } from "../../errors";
import { getEnv } from "../../env";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { heartbeatIntervalSeconds } from "./connection";
import { checkFeasibility } from "./feasibility";

/** The report's addresses without loopback and link-local ones, for the list and its search. */
export function reportIpAddresses(report: SourceReport): string {
  const addresses = report.network.flatMap((nic) =>
    nic.addresses.map((a) => a.address).filter((address) => !/^(127\.|::1$|fe80:)/i.test(address)),
  );
  return [...new Set(addresses)].join(" ");
}

/**
 * A source agent registers (or re-registers) its server. The same agent id updates the existing
 * row; a new one counts against the account's quota, checked under a per-account lock so racing
 * registrations can never exceed it.
 */
export async function registerSourceServer(ctx: ServiceContext, input: RegisterSourceRequest, options: { quota?: number } = {}) {
  const data = registerSourceRequestSchema.parse(input);
  const quota = options.quota ?? getEnv().FERRY_SOURCE_SERVER_QUOTA;
  const feasibility = checkFeasibility(data.report);
  const interval = heartbeatIntervalSeconds();
  const values = {
    hostname: data.report.hostname,
    osName: data.report.os.prettyName ?? data.report.os.name ?? "",
    ipAddresses: reportIpAddresses(data.report),
    report: data.report,
    feasibility,
    accessKeyId: ctx.actor.accessKeyId ?? null,
    lastHeartbeatAt: new Date(),
    updatedAt: new Date(),
  };
  return audited(ctx, { action: "sms:server:register", resourceType: "server", details: { agentId: data.agentId, hostname: data.report.hostname } }, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`ferry:servers:${ctx.actor.accountId}`}))`);
    const [existing] = await tx
      .select({ id: sourceServers.id })
      .from(sourceServers)
      .where(and(eq(sourceServers.accountId, ctx.actor.accountId), eq(sourceServers.agentId, data.agentId)));
    if (existing) {
      await tx.update(sourceServers).set(values).where(eq(sourceServers.id, existing.id));
      return { value: { serverId: existing.id, isNew: false, heartbeatIntervalSeconds: interval }, resourceId: existing.id, resourceName: values.hostname };
    }
    const [held] = await tx.select({ n: count() }).from(sourceServers).where(eq(sourceServers.accountId, ctx.actor.accountId));
    if ((held?.n ?? 0) >= quota) {
      throw new DomainError(
        "CONFLICT",
        `This account has reached its quota of ${quota} source servers. Delete the records of servers already migrated, then start the agent again.`,
        { reason: "SOURCE_SERVER_QUOTA", quota },
      );
    }
    const [row] = await tx
      .insert(sourceServers)
      .values({ accountId: ctx.actor.accountId, agentId: data.agentId, ...values })
      .returning({ id: sourceServers.id });
    return { value: { serverId: row!.id, isNew: true, heartbeatIntervalSeconds: interval }, resourceId: row!.id, resourceName: values.hostname };
  });
}
