import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sourceReportSchema, type SourceReport } from "../protocol/v1/report";
import { withImageDisks } from "./image-disks";

const hasMkfs = (() => {
  try {
    execFileSync("mkfs.ext4", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const base = { disks: [{ name: "vda" }], notes: [] } as unknown as SourceReport;

describe("image files as a server's disks", () => {
  it.skipIf(!hasMkfs)("lists each image with its size and file system, the first as the system disk (needs mkfs.ext4)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-image-disks-"));
    const system = path.join(dir, "system.img");
    const data = path.join(dir, "data.img");
    execFileSync("mkfs.ext4", ["-q", "-F", "-L", "sysroot", system, "16M"]);
    fs.writeFileSync(data, Buffer.alloc(0));
    fs.truncateSync(data, 8 * 1024 * 1024);
    const report = withImageDisks(base, [system, data]);
    expect(report.disks.map((d) => [d.name, d.sizeBytes, d.isSystemDisk])).toEqual([
      ["system.img", 16 * 1024 * 1024, true],
      ["data.img", 8 * 1024 * 1024, false],
    ]);
    expect(report.disks[0]).toMatchObject({ fsType: "ext4", label: "sysroot", partitionStyle: "none" });
    expect(report.disks[1]).toMatchObject({ fsType: null, partitionStyle: null });
    expect(report.notes.at(-1)).toMatch(/--disk-images/);
    expect(sourceReportSchema.shape.disks.safeParse(report.disks).success).toBe(true);
  });

  it("refuses a path that does not exist, with the path in the message", () => {
    expect(() => withImageDisks(base, ["/nonexistent/disk.img"])).toThrow(/\/nonexistent\/disk.img does not exist/);
  });
});
