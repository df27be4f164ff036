import { describe, expect, it } from "vitest";
import { normalizeRanges } from "./byte-ranges";
import { decodeExtents, encodeExtents, planChunks } from "./chunk-plan";

describe("ranges and chunks", () => {
  it("lets data win over scan where ranges overlap, and joins touching ranges", () => {
    expect(
      normalizeRanges([
        { start: 0, end: 100, mode: "scan" },
        { start: 40, end: 60, mode: "data" },
        { start: 100, end: 120, mode: "scan" },
        { start: 200, end: 210, mode: "data" },
        { start: 205, end: 220, mode: "data" },
      ]),
    ).toEqual([
      { start: 0, end: 40, mode: "scan" },
      { start: 40, end: 60, mode: "data" },
      { start: 60, end: 120, mode: "scan" },
      { start: 200, end: 220, mode: "data" },
    ]);
  });

  it("cuts ranges on the grid and keeps each cell's extents", () => {
    const chunks = planChunks(
      [
        { start: 10, end: 20, mode: "data" },
        { start: 30, end: 250, mode: "scan" },
      ],
      100,
    );
    expect(chunks.map((c) => [c.index, c.extents, c.isScan])).toEqual([
      [0, [{ start: 10, length: 10 }, { start: 30, length: 70 }], false],
      [1, [{ start: 100, length: 100 }], true],
      [2, [{ start: 200, length: 50 }], true],
    ]);
    const enc = encodeExtents(chunks[0]!);
    expect(decodeExtents(enc, 0, 100).extents).toEqual(chunks[0]!.extents);
  });

  it("rejects extent lists that escape their chunk or overlap", () => {
    const bad = Buffer.alloc(12);
    bad.writeUInt32LE(1, 0);
    bad.writeUInt32LE(90, 4);
    bad.writeUInt32LE(20, 8);
    expect(() => decodeExtents(bad, 0, 100)).toThrow(/out of its chunk/);
  });
});
