import { describe, expect, it } from "vitest";
import { parseMountInfo, pickMount } from "./mounts";

const MOUNTINFO = `22 1 8:3 / / rw,relatime shared:1 - xfs /dev/sda3 rw,attr2,inode64
23 22 8:1 / /boot rw,relatime shared:2 - xfs /dev/sda1 rw
24 22 0:45 / /mnt/my\\040share rw,relatime shared:3 - nfs4 filer:/export/data rw,vers=4.1
25 22 8:3 /srv /var/www rw,relatime - xfs /dev/sda3 rw
`;

describe("parseMountInfo", () => {
  it("reads device numbers, mount points, types and sources, unescaping \\040", () => {
    const mounts = parseMountInfo(MOUNTINFO);
    expect(mounts).toHaveLength(4);
    expect(mounts[0]).toMatchObject({ majMin: "8:3", root: "/", mountPoint: "/", fsType: "xfs", source: "/dev/sda3" });
    expect(mounts[2]).toMatchObject({ mountPoint: "/mnt/my share", fsType: "nfs4", source: "filer:/export/data" });
  });

  it("reads lines with no optional fields", () => {
    expect(parseMountInfo(MOUNTINFO)[3]).toMatchObject({ root: "/srv", mountPoint: "/var/www" });
  });
});

describe("pickMount", () => {
  it("prefers / over a bind mount of the same device", () => {
    const mounts = parseMountInfo(MOUNTINFO).filter((m) => m.majMin === "8:3").reverse();
    expect(pickMount(mounts)?.mountPoint).toBe("/");
  });
});
