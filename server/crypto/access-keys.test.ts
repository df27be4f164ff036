import { describe, expect, it } from "vitest";
import {
  ACCESS_KEY_ALPHABET,
  ACCESS_KEY_PATTERN,
  SECRET_KEY_PATTERN,
  generateAccessKeyPair,
  randomString,
} from "./access-keys";

describe("access key pairs", () => {
  it("have Huawei's shape: 20 uppercase alphanumerics and 40 base62 characters", () => {
    for (let index = 0; index < 200; index++) {
      const { ak, sk } = generateAccessKeyPair();
      expect(ak).toMatch(ACCESS_KEY_PATTERN);
      expect(sk).toMatch(SECRET_KEY_PATTERN);
    }
  });

  it("are different every time", () => {
    const aks = new Set(Array.from({ length: 1000 }, () => generateAccessKeyPair().ak));
    expect(aks.size).toBe(1000);
  });

  it("use every character of the alphabet about equally often", () => {
    const counts = new Map<string, number>();
    const samples = 2000;
    for (let index = 0; index < samples; index++) {
      for (const char of randomString(ACCESS_KEY_ALPHABET, 20)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    const expected = (samples * 20) / ACCESS_KEY_ALPHABET.length;
    expect(counts.size).toBe(ACCESS_KEY_ALPHABET.length);
    // Chi-square with 35 degrees of freedom; 80 is far beyond the 99.99th percentile (~72).
    const chiSquare = [...counts.values()].reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(80);
  });

  it("draws 64 more random bits than the output needs, so bias is negligible", () => {
    const sizes: number[] = [];
    randomString(ACCESS_KEY_ALPHABET, 20, (size) => {
      sizes.push(size);
      return Buffer.alloc(size);
    });
    // 36^20 needs 104 bits; plus 64 is 168 bits = 21 bytes.
    expect(sizes).toEqual([21]);
  });

  it("maps the random integer to digits of the alphabet deterministically", () => {
    expect(randomString("ab", 4, (size) => Buffer.alloc(size))).toBe("aaaa");
    expect(randomString("ab", 4, (size) => Buffer.from([...Array<number>(size - 1).fill(0), 5]))).toBe("abab");
  });
});
