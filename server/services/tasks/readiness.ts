import { badRequest } from "../../errors";
import { connectionOf } from "../servers/connection";
import type { FeasibilityResult } from "../servers/feasibility";
import type { MigrationSettings } from "../templates/schemas";
import { capabilitiesOf, reportOf, type ServerRow } from "./records";

const GiB = 1024 ** 3;
const size = (bytes: number) => (bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`);

/** The source may be migrated in this mode: connected, checked, and the check allows the mode. */
export function assertSourceReady(source: ServerRow, mode: MigrationSettings["mode"]) {
  if (connectionOf(source.lastHeartbeatAt) !== "connected") {
    throw badRequest(`The source server ${source.hostname} is offline. Start its agent, then try again.`);
  }
  const check = source.feasibility as FeasibilityResult | null;
  if (!check) throw badRequest(`The source server ${source.hostname} has not been checked yet. Refresh its report.`);
  if (check.verdict === "fail") throw badRequest(`The source server ${source.hostname} failed its feasibility check. See Source servers → Source check.`);
  const level = mode === "block" ? check.blockLevel : check.fileLevel;
  if (!level.available) throw badRequest(`${mode === "block" ? "Block" : "File"}-level migration is not available for ${source.hostname}: ${level.reason ?? "see its source check"}.`);
}

export function assertTargetReady(target: ServerRow) {
  if (connectionOf(target.lastHeartbeatAt) !== "connected") {
    throw badRequest(`The target server ${target.hostname} is offline. Start its agent (ferry-agent target), then try again.`);
  }
}

/** Block level: every source disk exists and fits on a distinct disk the target offers. */
export function checkDiskMapping(source: ServerRow, target: ServerRow, mapping: { sourceDisk: string; targetDisk: string }[]): string | null {
  const sourceDisks = reportOf(source).disks;
  const targetDisks = capabilitiesOf(target)?.disks ?? [];
  for (const entry of mapping) {
    const from = sourceDisks.find((d) => d.path === entry.sourceDisk || d.name === entry.sourceDisk);
    if (!from) return `The source server has no disk ${entry.sourceDisk}.`;
    const to = targetDisks.find((d) => d.path === entry.targetDisk);
    if (!to) return `The target server does not offer the disk ${entry.targetDisk}.`;
    if (to.sizeBytes < from.sizeBytes) {
      return `Target disk ${entry.targetDisk} (${size(to.sizeBytes)}) is smaller than source disk ${entry.sourceDisk} (${size(from.sizeBytes)}). Choose a disk at least as large.`;
    }
  }
  return null;
}

