import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPartitionTable } from "./layout/partition-table";
import { readAtFromHandle } from "./layout/read-at";
import { startReceiver, type SessionResult } from "./receiver";
import { TargetState } from "./receiver-state";
import { sendDisks, type SendOptions } from "./sender";
import { hasTool, makeTempDir, partitionDisk } from "./testing/disk-images";
import { fillRandom, hasSgdisk, rangeHashes, sfdiskJson, sfdiskVerify, sgdiskVerify } from "./testing/partition-checks";

const MiB = 1024 * 1024;
const TOKEN = "grow-test-token-0c9d1e";
const canLoop = hasTool("sfdisk") && hasTool("losetup") && spawnSync("losetup", ["-f"], { stdio: "ignore" }).status === 0;

describe.skipIf(!canLoop)("a verified copy onto a larger target device (needs sfdisk and losetup)", () => {
  let dir: string;
  let backing: string;
  let loop: string;
  beforeAll(() => {
    dir = makeTempDir("grow-target");
    backing = path.join(dir, "target-backing.img");
    fs.writeFileSync(backing, Buffer.alloc(0));
    fs.truncateSync(backing, 96 * MiB);
    loop = execFileSync("losetup", ["-f", "--show", backing], { encoding: "utf8" }).trim();
  });
  afterAll(() => {
    if (loop) execFileSync("losetup", ["-d", loop]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function partitionsOf(disk: string) {
    const fh = await fsp.open(disk, "r");
    try {
      return (await readPartitionTable(readAtFromHandle(fh), (await fh.stat()).size))!.partitions.map((p) => ({ start: p.start, end: p.end }));
    } finally {
      await fh.close();
    }
  }

  async function send(source: string, more: Partial<SendOptions> = {}) {
    const logs: string[] = [];
    const receiver = await startReceiver({
      host: "127.0.0.1",
      port: 0,
      credentials: { kind: "token", token: TOKEN },
      outDir: path.join(dir, "out"),
      maps: { disk0: loop },
      checkpointBytes: 8 * MiB,
      log: (l) => logs.push(l),
    });
    try {
      const [result] = await sendDisks({
        host: "127.0.0.1",
        port: receiver.address.port,
        credentials: { kind: "token", token: TOKEN },
        disks: [{ path: source, name: "disk0" }],
        isSync: true,
        stateDir: path.join(dir, "sender-state"),
        ...more,
      });
      const session: SessionResult = await receiver.nextSession();
      return { result: result!, session, logs };
    } finally {
      await receiver.close();
    }
  }

  function expectGrownGpt(sourceSectors: number) {
    const table = sfdiskJson(backing);
    const targetSectors = (96 * MiB) / 512;
    expect(table.lastlba).toBe(targetSectors - 34);
    const last = table.partitions.at(-1)!;
    expect(last.start + last.size - 1).toBe(targetSectors - 34);
    expect(table.lastlba).toBeGreaterThan(sourceSectors);
    const verify = sfdiskVerify(backing);
    expect(verify.isClean, verify.output).toBe(true);
    if (hasSgdisk) {
      const sg = sgdiskVerify(backing);
      expect(sg.isClean, sg.output).toBe(true);
    }
    return table;
  }

  it("grows the GPT once verified, and a later --sync pass re-sends the table's chunks, verifies and grows again", async () => {
    const source = path.join(dir, "source.img");
    partitionDisk(source, 64, "label: gpt\nstart=2048, size=16M\nsize=20M\nsize=12M\n");
    const parts = await partitionsOf(source);
    parts.forEach((p, i) => fillRandom(source, p.start, 4 * MiB, 100 + i));
    const sourceTable = sfdiskJson(source);

    const first = await send(source);
    expect(first.session.isOk).toBe(true);
    expect(first.result.verifiedChunks).toBe(first.result.chunks);
    const grown = expectGrownGpt((64 * MiB) / 512);
    expect(grown.partitions.map((p) => p.start)).toEqual(sourceTable.partitions.map((p) => p.start));
    expect(rangeHashes(backing, parts)).toEqual(rangeHashes(source, parts));
    expect(first.logs.join("\n")).toMatch(/partition 3 now ends at LBA/);
    // The receiver no longer vouches for the chunks whose table sectors it rewrote.
    const state = (await TargetState.load(path.join(dir, "out", ".ferry"), "disk0"))!;
    expect(state.chunks.has(0)).toBe(false);
    expect(state.chunks.has((64 * MiB - 512) / state.meta.chunkBytes)).toBe(false);
    expect(state.chunks.size).toBe(first.result.chunks - 2);

    // The source changes; the next pass copies that and the table's chunks, then grows again.
    fillRandom(source, parts[1]!.start + MiB, 256 * 1024, 7);
    const second = await send(source);
    expect(second.session.isOk).toBe(true);
    expect(second.result.verifiedChunks).toBe(second.result.chunks);
    expect(second.result.skippedChunks).toBe(second.result.chunks - 3);
    expectGrownGpt((64 * MiB) / 512);
    expect(rangeHashes(backing, parts)).toEqual(rangeHashes(source, parts));
  });

  it("with growLastPartition off moves only the GPT's backup", async () => {
    const source = path.join(dir, "source-keep.img");
    partitionDisk(source, 48, "label: gpt\nstart=2048, size=16M\nsize=20M\n");
    const receiverOptions = { growLastPartition: false };
    const receiver = await startReceiver({
      host: "127.0.0.1",
      port: 0,
      credentials: { kind: "token", token: TOKEN },
      outDir: path.join(dir, "out-keep"),
      maps: { keep: loop },
      ...receiverOptions,
    });
    try {
      await sendDisks({
        host: "127.0.0.1",
        port: receiver.address.port,
        credentials: { kind: "token", token: TOKEN },
        disks: [{ path: source, name: "keep" }],
        isSync: false,
        stateDir: path.join(dir, "sender-state-keep"),
      });
    } finally {
      await receiver.close();
    }
    const table = sfdiskJson(backing);
    expect(table.lastlba).toBe((96 * MiB) / 512 - 34);
    expect(table.partitions).toEqual(sfdiskJson(source).partitions);
    expect(sfdiskVerify(backing).isClean).toBe(true);
  });
});
