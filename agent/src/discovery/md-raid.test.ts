import { describe, expect, it } from "vitest";
import { parseMdstat } from "./md-raid";

describe("parseMdstat", () => {
  it("reads active and inactive arrays with their members and sizes", () => {
    const text = `Personalities : [raid1] [raid6] [raid5] [raid4]
md0 : active raid1 sdb1[1] sda1[0]
      1046528 blocks super 1.2 [2/2] [UU]

md1 : active (auto-read-only) raid5 sdd[2] sdc[1] sde[3](S) sdf[0]
      2093056 blocks super 1.2 level 5, 512k chunk, algorithm 2 [3/3] [UUU]

md127 : inactive sdg[0](S)
      1048576 blocks super 1.2

unused devices: <none>
`;
    expect(parseMdstat(text)).toEqual([
      { name: "md0", level: "raid1", state: "active", devices: ["sdb1", "sda1"], sizeBytes: 1046528 * 1024 },
      { name: "md1", level: "raid5", state: "active", devices: ["sdd", "sdc", "sde", "sdf"], sizeBytes: 2093056 * 1024 },
      { name: "md127", level: null, state: "inactive", devices: ["sdg"], sizeBytes: 1048576 * 1024 },
    ]);
  });

  it("finds no arrays when only personalities are listed", () => {
    expect(parseMdstat("Personalities : \nunused devices: <none>\n")).toEqual([]);
  });
});
