import { describe, expect, it } from "vitest";
import { parseReadWriteMounts } from "./mounted-ranges";

describe("read-write mounts", () => {
  it("takes the device and mount points of every mount whose options say rw, and none that says ro", () => {
    const mountinfo = [
      "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,discard",
      "30 22 7:0 / /mnt/a rw,nosuid,relatime shared:5 - xfs /dev/loop0 rw,attr2,inode64",
      "31 22 7:1 / /mnt/b ro,relatime shared:6 - xfs /dev/loop1 ro,attr2",
      "32 22 0:25 / /run rw,nosuid,nodev - tmpfs tmpfs rw,size=10%",
      "33 22 7:0 /sub /srv/with\\040space rw,relatime shared:7 - xfs /dev/loop0 rw,attr2",
      "",
    ].join("\n");
    const mounts = parseReadWriteMounts(mountinfo);
    expect([...mounts.keys()].sort()).toEqual(["0:25", "254:1", "7:0"]);
    expect(mounts.get("7:0")).toEqual(["/mnt/a", "/srv/with space"]);
  });
});
