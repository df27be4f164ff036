import { and, count, eq, sql } from "drizzle-orm";
import { sourceServers } from "@/drizzle/schema";
import {
  registerSourceRequestSchema,
  registerTargetRequestSchema,
  type RegisterSourceRequest,
  type RegisterTargetRequest,
  type TargetCapabilities,
} from "@/agent/src/protocol/v1/register";
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

type Registration = {
  agentId: string;
  report: SourceReport;
  role: "source" | "target";
  targetCapabilities: TargetCapabilities | null;
};

/**
 * A source agent registers (or re-registers) its server. The same agent id updates the existing
 * row; a new one counts against the account's quota, checked under a per-account lock so racing
 * registrations can never exceed it.
 */
export async function registerSourceServer(ctx: ServiceContext, input: RegisterSourceRequest, options: { quota?: number } = {}) {
  const data = registerSourceRequestSchema.parse(input);
  return upsertServer(ctx, { ...data, role: "source", targetCapabilities: null }, options.quota ?? getEnv().FERRY_SOURCE_SERVER_QUOTA);
}

/** A target agent registers (or re-registers): the server that will receive a migration. */
export async function registerTargetServer(ctx: ServiceContext, input: RegisterTargetRequest, options: { quota?: number } = {}) {
  const data = registerTargetRequestSchema.parse(input);
  return upsertServer(ctx, { agentId: data.agentId, report: data.report, role: "target", targetCapabilities: data.target }, options.quota ?? getEnv().FERRY_SOURCE_SERVER_QUOTA);
}

async function upsertServer(ctx: ServiceContext, data: Registration, quota: number) {
  const feasibility = data.role === "source" ? checkFeasibility(data.report) : null;
  const interval = heartbeatIntervalSeconds();
  const values = {
    hostname: data.report.hostname,
    osName: data.report.os.prettyName ?? data.report.os.name ?? "",
    ipAddresses: reportIpAddresses(data.report),
    report: data.report,
    feasibility,
    targetCapabilities: data.targetCapabilities,
    accessKeyId: ctx.actor.accessKeyId ?? null,
    lastHeartbeatAt: new Date(),
    updatedAt: new Date(),
  };
  const action = data.role === "source" ? "sms:server:register" : "sms:targetServer:register";
  const resourceType = data.role === "source" ? "server" : "targetServer";
  const noun = data.role === "source" ? "source" : "target";
  return audited(ctx, { action, resourceType, details: { agentId: data.agentId, hostname: data.report.hostname } }, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`ferry:servers:${ctx.actor.accountId}`}))`);
    const [existing] = await tx
      .select({ id: sourceServers.id, role: sourceServers.role })
      .from(sourceServers)
      .where(and(eq(sourceServers.accountId, ctx.actor.accountId), eq(sourceServers.agentId, data.agentId)));
    if (existing) {
      if (existing.role !== data.role) {
        throw new DomainError("CONFLICT", `This agent is registered as a ${existing.role} server. Start it with a new state folder to register it as a ${noun}.`);
      }
      await tx.update(sourceServers).set(values).where(eq(sourceServers.id, existing.id));
      return { value: { serverId: existing.id, isNew: false, heartbeatIntervalSeconds: interval }, resourceId: existing.id, resourceName: values.hostname };
    }
    const [held] = await tx
      .select({ n: count() })
      .from(sourceServers)
      .where(and(eq(sourceServers.accountId, ctx.actor.accountId), eq(sourceServers.role, data.role)));
    if ((held?.n ?? 0) >= quota) {
      throw new DomainError(
        "CONFLICT",
        `This account has reached its quota of ${quota} ${noun} servers. Delete the records of servers already migrated, then start the agent again.`,
        { reason: "SERVER_QUOTA", quota },
      );
    }
    const [row] = await tx
      .insert(sourceServers)
      .values({ accountId: ctx.actor.accountId, agentId: data.agentId, role: data.role, ...values })
      .returning({ id: sourceServers.id });
    return { value: { serverId: row!.id, isNew: true, heartbeatIntervalSeconds: interval }, resourceId: row!.id, resourceName: values.hostname };
  });
}
