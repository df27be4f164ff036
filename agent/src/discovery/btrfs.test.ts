import { describe, expect, it } from "vitest";
import { parseSubvolumeList } from "./btrfs";

describe("parseSubvolumeList", () => {
  it("reads ids and paths, including paths with spaces", () => {
    const text = "ID 256 gen 35 top level 5 path @\nID 257 gen 30 top level 5 path @home\nID 260 gen 12 top level 256 path @/var/my data\n";
    expect(parseSubvolumeList(text)).toEqual([
      { id: 256, path: "@" },
      { id: 257, path: "@home" },
      { id: 260, path: "@/var/my data" },
    ]);
  });
});
