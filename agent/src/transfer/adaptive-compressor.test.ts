import crypto from "node:crypto";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { AdaptiveCompressor } from "./adaptive-compressor";

const MiB = 1024 * 1024;
const text = () => [Buffer.from("a line of text that compresses well, 0123456789\n".repeat(MiB / 48 + 1)).subarray(0, MiB)];
const random = () => [crypto.randomBytes(MiB)];

describe("AdaptiveCompressor", () => {
  it("deflates text so that it inflates back to the same bytes, and counts what it saved", () => {
    const c = new AdaptiveCompressor();
    const parts = [Buffer.from("part one, part one, part one\n".repeat(20_000)), Buffer.from("part two, part two\n".repeat(20_000))];
    const length = parts[0]!.length + parts[1]!.length;
    const out = c.compress(parts, length);
    expect(out).not.toBeNull();
    expect(zlib.inflateRawSync(out!).equals(Buffer.concat(parts))).toBe(true);
    expect(c.rawBytesIn).toBe(length);
    expect(c.bytesOut).toBe(out!.length);
  });

  it("sends random bytes raw", () => {
    const c = new AdaptiveCompressor();
    expect(c.compress(random(), MiB)).toBeNull();
    expect(c.rawBytesIn).toBe(0);
  });

  it("judges by a sample from the middle: random bytes with a compressible head go raw", () => {
    const c = new AdaptiveCompressor();
    const payload = Buffer.concat([Buffer.alloc(64 * 1024), crypto.randomBytes(MiB - 64 * 1024)]);
    expect(c.compress([payload], MiB)).toBeNull();
  });

  it("stops trying after a few payloads that do not shrink, then tries again later", () => {
    const c = new AdaptiveCompressor(4, 16);
    for (let i = 0; i < 4; i++) expect(c.compress(random(), MiB)).toBeNull();
    // Backing off: even text goes raw for the next 16 payloads...
    for (let i = 0; i < 16; i++) expect(c.compress(text(), MiB)).toBeNull();
    // ...and is deflated again after them.
    expect(c.compress(text(), MiB)).not.toBeNull();
  });
});
