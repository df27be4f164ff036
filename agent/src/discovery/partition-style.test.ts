import { describe, expect, it } from "vitest";
import { partitionStyleFromHead, partitionStyleFromPtType } from "./partition-style";

function sectors(edit: (buffer: Buffer) => void): Buffer {
  const buffer = Buffer.alloc(4096 + 8);
  edit(buffer);
  return buffer;
}

describe("partitionStyleFromHead", () => {
  it("sees GPT from the header at LBA 1", () => {
    expect(partitionStyleFromHead(sectors((b) => b.write("EFI PART", 512, "latin1")))).toBe("gpt");
  });

  it("sees GPT on a 4Kn disk from the header at 4096", () => {
    expect(partitionStyleFromHead(sectors((b) => b.write("EFI PART", 4096, "latin1")))).toBe("gpt");
  });

  it("sees MBR from the 0x55AA signature", () => {
    const mbr = sectors((b) => {
      b[510] = 0x55;
      b[511] = 0xaa;
      b[446 + 4] = 0x83;
    });
    expect(partitionStyleFromHead(mbr)).toBe("mbr");
  });

  it("treats a protective MBR (type 0xEE) as GPT", () => {
    const protective = sectors((b) => {
      b[510] = 0x55;
      b[511] = 0xaa;
      b[446 + 4] = 0xee;
    });
    expect(partitionStyleFromHead(protective)).toBe("gpt");
  });

  it("sees no table on a blank disk and refuses to judge a short read", () => {
    expect(partitionStyleFromHead(Buffer.alloc(4096))).toBe("none");
    expect(partitionStyleFromHead(Buffer.alloc(100))).toBeNull();
  });
});

describe("partitionStyleFromPtType", () => {
  it("maps lsblk's names", () => {
    expect(partitionStyleFromPtType("dos")).toBe("mbr");
    expect(partitionStyleFromPtType("gpt")).toBe("gpt");
    expect(partitionStyleFromPtType(null)).toBeNull();
  });
});
