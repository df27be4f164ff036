import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { xxhash64 } from "hash-wasm";
import { describe, expect, it } from "vitest";
import { hashChunkData, readyChunkHash } from "../../chunk-hash";
import { childFactsOf } from "../walk-index";
import { loadNativeFs, nativeFsCachePath, ST } from "./native-fs";

const native = loadNativeFs();

describe("the addon's XXH64", () => {
  it("equals xxHash's reference (hash-wasm) for every length around its stripe and tail sizes, and several seeds", async () => {
    const data = crypto.randomBytes(300);
    const lengths = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 300];
    for (const seed of [0, 1, 3, 0xffffffff, 2 ** 32 + 3, 2 ** 40 + 12345]) {
      const low = seed % 2 ** 32;
      const high = Math.floor(seed / 2 ** 32);
      for (const n of lengths) {
        const slice = data.subarray(0, n);
        expect(native.xxh64(slice, seed).toString("hex"), `length ${n}, seed ${seed}`).toBe(await xxhash64(slice, low, high));
      }
    }
  });

  it("hashes a large buffer and a view into one like the reference", async () => {
    const big = crypto.randomBytes(5 * 1024 * 1024 + 13);
    expect(native.xxh64(big, 7).toString("hex")).toBe(await xxhash64(big, 7, 0));
    const view = big.subarray(1001, 70_001);
    expect(native.xxh64(view, 0).toString("hex")).toBe(await xxhash64(view, 0, 0));
  });

  it("hash16 is XXH64 with seed tag, then with seed tag + 2^32", async () => {
    const data = crypto.randomBytes(4097);
    expect(native.hash16(data, 3).toString("hex")).toBe((await xxhash64(data, 3, 0)) + (await xxhash64(data, 3, 1)));
    expect(() => native.hash16("not bytes" as unknown as Uint8Array, 3)).toThrow(/Uint8Array/);
  });
});

describe("the addon's chunk windows", () => {
  /** An extent list (chunk-plan.ts encoding): u32 count, then u32 start and length each. */
  function extentList(extents: [number, number][]): Buffer {
    const b = Buffer.alloc(4 + extents.length * 8);
    b.writeUInt32LE(extents.length, 0);
    extents.forEach(([start, length], i) => {
      b.writeUInt32LE(start, 4 + i * 8);
      b.writeUInt32LE(length, 8 + i * 8);
    });
    return b;
  }

  it("are the bytes hash-wasm makes, for extents inside, across and between windows, and data split anywhere", async () => {
    await readyChunkHash();
    let seed = 11;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const extents: [number, number][] = [];
      let pos = rand(3) * 512;
      for (let i = rand(6) + 1; i > 0; i--) {
        const length = 1 + rand(round % 3 === 0 ? 70_000 : 9000);
        extents.push([pos, length]);
        pos += length + rand(4) * rand(20_000);
      }
      const total = extents.reduce((n, [, l]) => n + l, 0);
      const data = crypto.randomBytes(total);
      // The data in parts of any sizes, as reads hand them over.
      const parts: Buffer[] = [];
      for (let at = 0; at < total; ) {
        const n = Math.min(total - at, 1 + rand(round % 2 ? 40 : 30_000));
        parts.push(data.subarray(at, at + n));
        at += n;
      }
      const ext = extentList(extents);
      const wasm = hashChunkData(ext, parts, "wasm");
      expect(native.chunkWindows(ext, parts).toString("hex"), `round ${round}`).toBe(wasm.windows.toString("hex"));
      expect(hashChunkData(ext, parts).root.toString("hex")).toBe(wasm.root.toString("hex"));
    }
  });

  it("refuses data shorter than its extents and arguments of the wrong kind", () => {
    const ext = extentList([[0, 100]]);
    expect(() => native.chunkWindows(ext, [Buffer.alloc(99)])).toThrow(/shorter than its extents/);
    expect(() => native.chunkWindows(ext, "x" as unknown as Uint8Array[])).toThrow(/array of Uint8Array/);
    expect(() => native.chunkWindows(ext, [7 as unknown as Uint8Array])).toThrow(/not a Uint8Array/);
    expect(native.chunkWindows(extentList([]), []).length).toBe(0);
  });
});

describe("the addon while its thread is terminated", () => {
  it("never crashes the process: a call that cannot make its result returns nothing instead", () => {
    // A sender ends its walker with terminate() when a session fails; the walker may be inside
    // any call. Here a worker calls the addon in a loop and is terminated at random moments.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-native-terminate-"));
    try {
      for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(dir, `f${i}`), crypto.randomBytes(3000));
      const addon = process.env.FERRY_NATIVE_FS ?? nativeFsCachePath();
      const worker = `
        const { parentPort, workerData } = require("node:worker_threads");
        const native = require(workerData.addon);
        const dir = Buffer.from(workerData.dir);
        const file = Buffer.from(workerData.dir + "/f7");
        const ext = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 184, 11, 0, 0]);
        parentPort.postMessage("ready");
        for (;;) {
          native.scanDir(dir);
          native.readSmall(file, 5000);
          native.lstat(file);
          native.listXattrs(file);
          native.hash16(new Uint8Array(3000), 1);
          native.chunkWindows(ext, [new Uint8Array(3000)]);
        }`;
      const main = `
        const { Worker } = require("node:worker_threads");
        (async () => {
          for (let i = 0; i < 60; i++) {
            const w = new Worker(${JSON.stringify(worker)}, { eval: true, workerData: { addon: ${JSON.stringify(addon)}, dir: ${JSON.stringify(dir)} } });
            await new Promise((resolve) => w.once("message", resolve));
            await new Promise((resolve) => setTimeout(resolve, i % 7));
            await w.terminate();
          }
          process.stdout.write("survived");
        })();`;
      const run = spawnSync(process.execPath, ["-e", main], { encoding: "utf8", timeout: 120_000 });
      expect(run.signal, run.stderr.slice(0, 2000)).toBeNull();
      expect(run.status, run.stderr.slice(0, 2000)).toBe(0);
      expect(run.stdout).toBe("survived");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});

describe("the addon's folder scan", () => {
  it("xorHash16 is the XOR of hash16 over each range, and refuses a range outside the data", () => {
    const data = crypto.randomBytes(1000);
    const ranges = [
      [0, 10],
      [10, 10],
      [200, 999],
      [3, 700],
    ];
    const expected = Buffer.alloc(16);
    for (const [a, b] of ranges) {
      const h = native.hash16(data.subarray(a, b), 7);
      for (let i = 0; i < 16; i++) expected[i]! ^= h[i]!;
    }
    expect(native.xorHash16(data, Int32Array.from(ranges.flat()), 7).toString("hex")).toBe(expected.toString("hex"));
    expect(native.xorHash16(data, new Int32Array(0), 7).toString("hex")).toBe("0".repeat(32));
    expect(() => native.xorHash16(data, Int32Array.of(990, 1001), 7)).toThrow(/outside the data/);
    expect(() => native.xorHash16(data, Int32Array.of(5, 4), 7)).toThrow(/outside the data/);
  });

  it("reduces a listing to childFacts: the XOR of each child's name, inode and ctime, as the manifest side computes it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-facts-"));
    try {
      const facts = () => native.childFacts(...native.scanDir(Buffer.from(dir))).toString("hex");
      const expected = () => {
        const out = Buffer.alloc(16);
        for (const name of fs.readdirSync(dir, { encoding: "buffer" })) {
          const st = native.lstat(Buffer.concat([Buffer.from(`${dir}/`), name]))!;
          const h = childFactsOf(name.toString("latin1"), { ino: st[ST.ino]!, ctimeSec: st[ST.ctimeSec]!, ctimeNsec: st[ST.ctimeNsec]! }, native.hash16);
          for (let i = 0; i < 16; i++) out[i]! ^= h[i]!;
        }
        return out.toString("hex");
      };
      expect(facts()).toBe("0".repeat(32));
      for (const n of ["x", "y"]) fs.writeFileSync(path.join(dir, n), n);
      fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0xff, 0x2d])]), "not UTF-8");
      fs.mkdirSync(path.join(dir, "sub"));
      const before = facts();
      expect(before).toBe(expected());
      // Content, mode, a rename and a new child each change it.
      const seen = new Set([before]);
      const step = (change: () => void) => {
        change();
        const now = facts();
        expect(now).toBe(expected());
        expect(seen.has(now)).toBe(false);
        seen.add(now);
      };
      step(() => fs.appendFileSync(path.join(dir, "x"), "more"));
      step(() => fs.chmodSync(path.join(dir, "y"), 0o600));
      step(() => fs.renameSync(path.join(dir, "y"), path.join(dir, "y2")));
      step(() => fs.writeFileSync(path.join(dir, "sub", "inside"), "")); // moves sub's ctime
      step(() => fs.writeFileSync(path.join(dir, "z"), ""));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lists an empty folder as no names and no stats, and a full one with a stat per name", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-native-scan-"));
    try {
      const [names, stats] = native.scanDir(Buffer.from(dir));
      expect(names.length).toBe(0);
      expect(stats.length).toBe(0);
      fs.writeFileSync(path.join(dir, "a"), "x");
      fs.mkdirSync(path.join(dir, "b"));
      const [names2, stats2] = native.scanDir(Buffer.from(dir));
      expect(names2.toString("latin1").split("\0").filter(Boolean).sort()).toEqual(["a", "b"]);
      expect(stats2.length).toBe(2 * 13);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
