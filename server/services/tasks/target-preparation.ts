import { layoutBytesOf, layoutProblemOf, mountPointsOf, type LayoutDisk } from "@/agent/src/protocol/v1/disk-layout";
import type { TargetCapabilities } from "@/agent/src/protocol/v1/register";

// File level onto the target's disks: which source disks need a target disk, which target disks
// can take them, and what stops a task. Pure, so the wizard shows the same words the server
// refuses with; the target agent checks again before it writes (target-preparation.ts there).

type TargetDisk = TargetCapabilities["disks"][number];
type MappingEntry = { sourceDisk: string; targetDisk: string };

const GiB = 1024 ** 3;
const size = (bytes: number) => (bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`);
const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;

/** The source disks whose files need a place on the target: those holding mounted local filesystems. */
export function disksToPrepare(sourceDisks: readonly LayoutDisk[]): LayoutDisk[] {
  return sourceDisks.filter((d) => mountPointsOf(d).length > 0);
}

/** Target disks that can take this source disk's layout: offered block devices at least as large. */
export function targetDisksFor(source: LayoutDisk, targetDisks: readonly TargetDisk[]): TargetDisk[] {
  return targetDisks.filter((t) => t.kind === "device" && t.sizeBytes >= layoutBytesOf(source));
}

/**
 * What stops a file-level task onto the target's disks, keyed by source disk path ("" for the
 * task as a whole). Entries without a target disk yet are the schema's to report.
 */
export function preparationProblems(sourceDisks: readonly LayoutDisk[], targetDisks: readonly TargetDisk[], mapping: readonly MappingEntry[]): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!sourceDisks.some((d) => mountPointsOf(d).includes("/"))) {
    problems[""] = "The source's root filesystem is on LVM or RAID, which is not recreated on the target's disks: copy into a folder, or migrate at block level.";
  }
  const findSource = (name: string) => sourceDisks.find((d) => d.path === name || d.name === name);
  for (const disk of disksToPrepare(sourceDisks)) {
    if (!mapping.some((m) => findSource(m.sourceDisk) === disk)) problems[disk.path] = `Choose a target disk for ${disk.path}: it holds ${mountPointsOf(disk).join(", ")}.`;
  }
  for (const entry of mapping) {
    if (entry.targetDisk === "") continue;
    const source = findSource(entry.sourceDisk);
    const key = source?.path ?? entry.sourceDisk;
    const target = targetDisks.find((t) => t.path === entry.targetDisk);
    const layoutProblem = source ? layoutProblemOf(source) : null;
    if (!source) problems[key] = `The source server has no disk ${entry.sourceDisk}.`;
    else if (layoutProblem) problems[key] = sentence(layoutProblem);
    else if (mountPointsOf(source).length === 0) problems[key] = `Source disk ${source.path} holds no mounted filesystem to copy: leave it out.`;
    else if (!target) problems[key] = `The target server does not offer the disk ${entry.targetDisk}.`;
    else if (target.kind !== "device") problems[key] = `Target disk ${target.path} is an image file: only block devices (ferry-agent target --disk /dev/…) are partitioned and mounted.`;
    else if (target.sizeBytes < layoutBytesOf(source)) {
      problems[key] = `Target disk ${target.path} (${size(target.sizeBytes)}) is smaller than the layout of source disk ${source.path} (${size(layoutBytesOf(source))}). Choose a disk at least as large.`;
    }
  }
  return problems;
}
