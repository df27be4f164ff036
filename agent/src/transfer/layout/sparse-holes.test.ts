import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import fsp, { type FileHandle } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planChunks } from "../chunk-plan";
import { readChunks } from "../chunk-reader";
import { hasTool, makeTempDir } from "../testing/disk-images";
import { findFileHoles, markHoles } from "./sparse-holes";

const KiB = 1024;
const MiB = 1024 * KiB;
const CELL = 256 * KiB;

describe("holes of sparse image files", () => {
  let dir: string;
  let sparse: string;
  beforeAll(() => {
    dir = makeTempDir("holes");
    sparse = path.join(dir, "sparse.img");
    fs.writeFileSync(sparse, Buffer.alloc(0));
    fs.truncateSync(sparse, 16 * MiB);
    const fd = fs.openSync(sparse, "r+");
    // Data at 1 MiB + 100 (not on the grid) and in the last 4 KiB of the file.
    fs.writeSync(fd, Buffer.alloc(8 * KiB, 7), 0, 8 * KiB, MiB + 100);
    fs.writeSync(fd, Buffer.alloc(4 * KiB, 9), 0, 4 * KiB, 16 * MiB - 4 * KiB);
    fs.closeSync(fd);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function holesOf(file: string, loadNative?: Parameters<typeof findFileHoles>[3]) {
    const fh = await fsp.open(file, "r");
    try {
      return await findFileHoles(fh, (await fh.stat()).size, CELL, loadNative);
    } finally {
      await fh.close();
    }
  }

  it("finds the holes, shrunk to whole chunk cells around the data", async () => {
    expect(await holesOf(sparse)).toEqual([
      { start: 0, end: MiB },
      { start: MiB + CELL, end: 16 * MiB - CELL },
    ]);
  });

  it("finds none in a file without holes", async () => {
    const full = path.join(dir, "full.img");
    fs.writeFileSync(full, Buffer.alloc(2 * MiB, 1));
    expect(await holesOf(full)).toEqual([]);
  });

  it("gives up (null) without the native addon, so everything is read as before", async () => {
    expect(
      await holesOf(sparse, () => {
        throw new Error("cannot build the file-transfer addon with cc");
      }),
    ).toBeNull();
  });

  const canLoop = hasTool("losetup") && spawnSync("losetup", ["-f"], { stdio: "ignore" }).status === 0;
  it.skipIf(!canLoop)("gives up (null) on a block device (needs losetup)", async () => {
    const loop = execFileSync("losetup", ["-f", "--show", sparse], { encoding: "utf8" }).trim();
    try {
      const fh = await fsp.open(loop, "r");
      try {
        expect(await findFileHoles(fh, 16 * MiB, CELL)).toBeNull();
      } finally {
        await fh.close();
      }
    } finally {
      execFileSync("losetup", ["-d", loop]);
    }
  });

  it("turns only scanned bytes in holes into hole ranges", () => {
    const holes = [
      { start: 0, end: MiB },
      { start: 2 * MiB, end: 4 * MiB },
    ];
    expect(
      markHoles(
        [
          { start: 0, end: 512 * KiB, mode: "data" },
          { start: 512 * KiB, end: 3 * MiB, mode: "scan" },
        ],
        holes,
      ),
    ).toEqual([
      { start: 0, end: 512 * KiB, mode: "data" },
      { start: 512 * KiB, end: MiB, mode: "hole" },
      { start: MiB, end: 2 * MiB, mode: "scan" },
      { start: 2 * MiB, end: 3 * MiB, mode: "hole" },
    ]);
  });

  it("plans hole chunks that are not read, and reads a cell that mixes holes with other bytes", async () => {
    const chunks = planChunks(
      [
        { start: 0, end: 100, mode: "data" },
        { start: 100, end: CELL, mode: "hole" },
        { start: CELL, end: 3 * CELL, mode: "hole" },
        { start: 3 * CELL, end: 4 * CELL, mode: "scan" },
      ],
      CELL,
    );
    expect(chunks.map((c) => [c.index, c.bytes, c.isScan, c.isHole])).toEqual([
      [0, CELL, false, false],
      [1, 0, true, true],
      [2, 0, true, true],
      [3, CELL, true, false],
    ]);
    const reads: { position: number; length: number }[] = [];
    const handle = {
      read: async (buf: Buffer, offset: number, length: number, position: number) => {
        reads.push({ position, length });
        buf.fill(1, offset, offset + length);
        return { bytesRead: length, buffer: buf };
      },
    } as unknown as FileHandle;
    const seen: [number, boolean][] = [];
    for await (const rc of readChunks(handle, chunks)) {
      seen.push([rc.chunk.index, rc.parts.every((p) => p.every((b) => b === 0))]);
      rc.release();
    }
    expect(seen).toEqual([
      [0, false],
      [1, true],
      [2, true],
      [3, false],
    ]);
    expect(reads).toEqual([
      { position: 0, length: CELL },
      { position: 3 * CELL, length: CELL },
    ]);
  });
});
