import { and, desc, eq, gt } from "drizzle-orm";
import { z } from "zod";
import { taskProgressSamples } from "@/drizzle/schema";
import { assertCan } from "../../authz/assert-can";
import type { ServiceContext } from "../context";
import { loadServer, reportOf } from "./records";

export const estimateTaskSchema = z.object({
  sourceServerId: z.string().uuid(),
  mode: z.enum(["block", "file"]),
  sourceDisks: z.array(z.string().max(4096)).max(32),
});

export type TaskEstimate = {
  /** Bytes the pass will move; null when the report does not say (a partition not mounted). */
  bytesToMove: number | null;
  basis: string;
  /** The fastest rate measured by this account's recent passes, or null before the first one. */
  rateBytesPerSecond: number | null;
  seconds: number | null;
};

/**
 * The wizard's confirmation step: how much data the task moves and, at the link speed measured by
 * this account's recent passes, roughly how long. Block level moves the used blocks of each mapped
 * disk; file level the used bytes of the source's mounted file systems.
 */
export async function estimateTask(ctx: ServiceContext, input: z.input<typeof estimateTaskSchema>): Promise<TaskEstimate> {
  const data = estimateTaskSchema.parse(input);
  await assertCan(ctx, "sms:task:get");
  const source = await loadServer(ctx.db, ctx.actor.accountId, data.sourceServerId, "source");
  const report = reportOf(source);
  let bytesToMove: number | null = 0;
  let basis: string;
  if (data.mode === "block") {
    const disks = report.disks.filter((d) => data.sourceDisks.includes(d.path) || data.sourceDisks.includes(d.name));
    for (const disk of disks) {
      const parts = disk.partitions.length ? disk.partitions : [disk];
      for (const part of parts) {
        if (part.fsType === "swap") continue;
        // A partition whose usage is unknown (not mounted) is counted whole: the estimate errs high.
        bytesToMove = (bytesToMove ?? 0) + ((part.usedBytes ?? ("sizeBytes" in part ? part.sizeBytes : 0)) as number);
      }
    }
    basis = `used space of ${disks.length} disk${disks.length === 1 ? "" : "s"}`;
  } else {
    const mounted = report.disks.flatMap((d) => [d, ...d.partitions]).filter((p) => p.mountPoint && p.usedBytes !== null);
    bytesToMove = mounted.length ? mounted.reduce((n, p) => n + (p.usedBytes ?? 0), 0) : null;
    basis = "used space of the mounted file systems";
  }
  const since = new Date(Date.now() - 30 * 24 * 3600 * 1000);
  const [fastest] = await ctx.db
    .select({ rate: taskProgressSamples.rateBytesPerSecond })
    .from(taskProgressSamples)
    .where(and(eq(taskProgressSamples.accountId, ctx.actor.accountId), gt(taskProgressSamples.at, since)))
    .orderBy(desc(taskProgressSamples.rateBytesPerSecond))
    .limit(1);
  const rate = fastest && fastest.rate > 0 ? fastest.rate : null;
  return { bytesToMove, basis, rateBytesPerSecond: rate, seconds: rate && bytesToMove !== null ? Math.ceil(bytesToMove / rate) : null };
}
