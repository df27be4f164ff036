import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../errors";
import type { ReportDisk, SourceReport } from "../protocol/v1/report";

function probe(file: string, tag: "TYPE" | "UUID" | "LABEL"): string | null {
  try {
    const value = execFileSync("blkid", ["-o", "value", "-s", tag, file], { encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "ignore"] }).trim();
    return value || null;
  } catch {
    return null; // blkid missing, or nothing recognised on the image
  }
}

/**
 * A server whose disks are image files (a virtual machine's disks, the demo's sample server, tests):
 * the report lists these images as its disks instead of the discovered block devices, the first
 * one as the system disk. Whatever else the report says about the host stays as discovered.
 */
export function withImageDisks(report: SourceReport, paths: string[]): SourceReport {
  const disks: ReportDisk[] = paths.map((given, index) => {
    const file = path.resolve(given);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      throw new UserError(`--disk-images: ${file} does not exist`);
    }
    if (!stat.isFile() && !stat.isBlockDevice()) throw new UserError(`--disk-images: ${file} is not an image file or a block device`);
    const fsType = probe(file, "TYPE");
    return {
      name: path.basename(file),
      path: file,
      sizeBytes: stat.size,
      partitionStyle: fsType ? "none" : null,
      isSystemDisk: index === 0,
      fsType,
      uuid: probe(file, "UUID"),
      label: probe(file, "LABEL"),
      mountPoint: null,
      usedBytes: null,
      freeBytes: null,
      partitions: [],
    };
  });
  return { ...report, disks, notes: [...report.notes, `The disks are the image files ${paths.join(", ")} (--disk-images), not this host's block devices.`] };
}
