import crypto from "node:crypto";
import { xxhash64 } from "hash-wasm";
import { describe, expect, it } from "vitest";
import { loadNativeFs } from "./native-fs";

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
