/**
 * The streaming rsync-style delta (delta.ts): the target's file rebuilt from COPY and literal
 * pieces must equal the sender's byte for byte whatever the edit and however the sender's bytes
 * were cut into pushes and windows, with literal bytes close to what changed and the encoder's
 * memory bounded by one block plus its window.
 */
import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { DELTA_WINDOW_BYTES, DeltaEncoder, deltaBlockBytes, signatureBlock, signatureOf, signatureOfFile } from "./delta";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Encodes `data` against `base` in pushes of pushBytes and rebuilds it the way the receiver does. */
function roundTrip(base: Buffer, data: Buffer, blockBytes: number, windowBytes: number, pushBytes: number) {
  const signature = signatureOf(base, blockBytes);
  const out: Buffer[] = [];
  let rebuilt = 0;
  let largestLiteral = 0;
  const encoder = new DeltaEncoder(
    signature,
    {
      copy: (block) => {
        const piece = base.subarray(block * blockBytes, (block + 1) * blockBytes);
        out.push(piece);
        rebuilt += piece.length;
      },
      literal: (bytes, start) => {
        // Literal pieces name their place in the sender's file: it must be where the rebuild stands.
        expect(start).toBe(rebuilt);
        out.push(Buffer.from(bytes));
        rebuilt += bytes.length;
        largestLiteral = Math.max(largestLiteral, bytes.length);
      },
    },
    windowBytes,
  );
  for (let o = 0; o < data.length; o += pushBytes) encoder.push(data.subarray(o, o + pushBytes));
  encoder.finish();
  return { out: Buffer.concat(out), literal: encoder.literalBytes, copied: encoder.copiedBlocks, peak: encoder.peakHeldBytes, largestLiteral };
}

const base = crypto.randomBytes(3 * MiB + 777);
const cut = (from: number, to?: number) => base.subarray(from, to);
const edits: [string, Buffer, number][] = [
  ["an insertion at an odd offset", Buffer.concat([cut(0, 1_000_003), crypto.randomBytes(1234), cut(1_000_003)]), 1234],
  ["a deletion", Buffer.concat([cut(0, 500_001), cut(512_346)]), 0],
  ["appended data", Buffer.concat([base, crypto.randomBytes(100 * KiB)]), 100 * KiB],
  ["a range moved elsewhere", Buffer.concat([cut(0, 200_003), cut(1_000_000, 1_050_000), cut(200_003, 1_000_000), cut(1_050_000)]), 0],
  ["an overwrite in place", Buffer.concat([cut(0, 2_000_000), Buffer.alloc(5000, 7), cut(2_005_000)]), 5000],
  ["a file that shrank", cut(0, 1.5 * MiB + 5), 0],
  ["several edits at once", Buffer.concat([crypto.randomBytes(10), cut(0, 700_000), cut(800_000, 2_500_000), crypto.randomBytes(3000), cut(2_500_000)]), 3010],
  ["nothing", base, 0],
];

describe("streaming delta", () => {
  // Odd sizes put windows across push and buffer boundaries; 65536 makes the roll's B * byte vanish mod 2^16.
  const shapes: [number, number, number][] = [
    [16 * KiB, DELTA_WINDOW_BYTES, MiB],
    [16 * KiB, 5003, 997],
    [65536, 513, 8191],
    [10_007, 70_001, 4099],
  ];

  describe.each(shapes)("blocks of %i bytes, window %i, pushes of %i", (blockBytes, windowBytes, pushBytes) => {
    it.each(edits)("rebuilds the file after %s, sending little more than the change", (_, data, changed) => {
      const r = roundTrip(base, data, blockBytes, windowBytes, pushBytes);
      expect(r.out.equals(data)).toBe(true);
      // Each edit costs at most the blocks it touches on either side; a whole send would cost all of it.
      expect(r.literal).toBeLessThanOrEqual(changed + 4 * blockBytes);
      expect(r.literal).toBeLessThan(data.length / 4);
      expect(r.peak).toBeLessThanOrEqual(blockBytes + windowBytes);
      expect(r.largestLiteral).toBeLessThanOrEqual(blockBytes + windowBytes);
    });

    it("sends a file that shares nothing with the target's as literals, in pieces no larger than the window", () => {
      const other = crypto.randomBytes(2 * MiB + 3);
      const r = roundTrip(base, other, blockBytes, windowBytes, pushBytes);
      expect(r.out.equals(other)).toBe(true);
      expect(r.literal).toBe(other.length);
      expect(r.copied).toBe(0);
      expect(r.largestLiteral).toBeLessThanOrEqual(blockBytes + windowBytes);
    });
  });

  it("copies every block of an unchanged file, the short last one too", () => {
    const r = roundTrip(base, base, 16 * KiB, 5003, 997);
    expect(r.literal).toBe(0);
    expect(r.copied).toBe(Math.ceil(base.length / (16 * KiB)));
  });

  it("survives pushes of one byte", () => {
    const small = crypto.randomBytes(100 * KiB + 17);
    const data = Buffer.concat([small.subarray(0, 30_001), Buffer.from("xyz"), small.subarray(30_001)]);
    const r = roundTrip(small, data, 8 * KiB, 1000, 1);
    expect(r.out.equals(data)).toBe(true);
    expect(r.literal).toBeLessThanOrEqual(3 + 2 * 8 * KiB);
  });

  it("does not copy a block whose weak checksum matches but whose bytes differ", () => {
    // Swapping bytes 4096 apart that differ by 16 keeps both sums mod 2^16: only the strong hash tells.
    const B = 16 * KiB;
    const target = crypto.randomBytes(8 * B);
    target[3 * B + 100] = 16;
    target[3 * B + 100 + 4096] = 0;
    const data = Buffer.from(target);
    data[3 * B + 100] = 0;
    data[3 * B + 100 + 4096] = 16;
    const sig = signatureOf(target, B);
    const swapped = signatureOf(data.subarray(3 * B, 4 * B), B);
    expect(swapped.readUInt32LE(12)).toBe(sig.readUInt32LE(12 + 3 * 20));
    const r = roundTrip(target, data, B, 4099, 1000);
    expect(r.out.equals(data)).toBe(true);
    expect(r.literal).toBeGreaterThanOrEqual(4097);
  });
});

describe("signature", () => {
  /** rsync's weak checksum as its definition reads, and SHA-256's first 16 bytes. */
  function referenceSignature(data: Buffer, B: number): Buffer {
    const records: Buffer[] = [];
    for (let s = 0; s < data.length; s += B) {
      const block = data.subarray(s, s + B);
      let a = 0;
      let b = 0;
      for (let i = 0; i < block.length; i++) {
        a += block[i]!;
        b += (block.length - i) * block[i]!;
      }
      const rec = Buffer.alloc(20);
      rec.writeUInt32LE(((a % 65536) | ((b % 65536) << 16)) >>> 0, 0);
      crypto.createHash("sha256").update(block).digest().copy(rec, 4, 0, 16);
      records.push(rec);
    }
    const head = Buffer.alloc(12);
    head.writeUInt32LE(B, 0);
    head.writeDoubleLE(data.length, 4);
    return Buffer.concat([head, ...records]);
  }

  it("streamed through short reads and small buffers, equals the checksums' definition", () => {
    const data = crypto.randomBytes(300 * KiB + 5);
    let largestRead = 0;
    const sig = signatureOfFile(
      (buf, position) => {
        largestRead = Math.max(largestRead, buf.length);
        return data.copy(buf, 0, position, position + Math.min(buf.length, 1000));
      },
      data.length,
      16 * KiB,
      40 * KiB,
    );
    expect(sig.equals(referenceSignature(data, 16 * KiB))).toBe(true);
    expect(largestRead).toBeLessThanOrEqual(40 * KiB);
  });

  it("describes what was read when the file ends early", () => {
    const data = crypto.randomBytes(50_000);
    const sig = signatureOfFile((buf, position) => data.copy(buf, 0, position, position + buf.length), 80_000, 8 * KiB, 16 * KiB);
    expect(signatureBlock(sig)).toEqual({ blockBytes: 8 * KiB, size: 50_000, count: 7 });
    expect(sig.equals(referenceSignature(data, 8 * KiB))).toBe(true);
  });

  it.each([
    [MiB, 8 * KiB],
    [512 * MiB, 64 * KiB],
    [20 * 1024 * MiB, 256 * KiB],
    [64 * 1024 * MiB, 256 * KiB],
    [1024 * 1024 * MiB, 4 * MiB],
  ])("for %i bytes uses blocks of %i, never more than 256 Ki of them", (size, blockBytes) => {
    expect(deltaBlockBytes(size)).toBe(blockBytes);
    expect(Math.ceil(size / blockBytes)).toBeLessThanOrEqual(256 * 1024);
  });
});
