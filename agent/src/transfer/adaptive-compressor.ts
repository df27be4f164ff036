import zlib from "node:zlib";

/** Bytes of a payload deflated first to judge whether the whole of it is worth deflating. */
export const SAMPLE_BYTES = 4096;
/** A payload is sent deflated only when it shrinks below this share of its size. */
const WORTH_IT = 0.9;

/**
 * deflate level 1 runs at several hundred MB/s on text but only tens of MB/s on random bytes,
 * far below the link, so it is only tried where it pays. Each payload is judged by deflating a
 * 4 KiB sample of it (about a tenth of a millisecond); after a few payloads that do not shrink,
 * the next ones go raw without a sample, and sampling starts again later (data on a disk changes
 * character from region to region).
 */
export class AdaptiveCompressor {
  private failures = 0;
  private skipLeft = 0;
  rawBytesIn = 0;
  bytesOut = 0;

  constructor(
    private readonly failuresBeforeBackoff = 4,
    private readonly backoffPayloads = 16,
  ) {}

  /** Returns the deflated payload, or null when it should travel as it is. */
  compress(parts: readonly Buffer[], rawLength: number): Buffer | null {
    if (this.skipLeft > 0) {
      this.skipLeft--;
      return null;
    }
    const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, rawLength);
    if (rawLength > 4 * SAMPLE_BYTES && !this.shrinks(sampleOf(whole), SAMPLE_BYTES)) return this.fail();
    const out = zlib.deflateRawSync(whole, { level: 1 });
    if (out.length > rawLength * WORTH_IT) return this.fail();
    this.failures = 0;
    this.rawBytesIn += rawLength;
    this.bytesOut += out.length;
    return out;
  }

  private shrinks(sample: Buffer, length: number): boolean {
    return zlib.deflateRawSync(sample, { level: 1 }).length <= length * WORTH_IT;
  }

  private fail(): null {
    if (++this.failures >= this.failuresBeforeBackoff) {
      this.failures = 0;
      this.skipLeft = this.backoffPayloads;
    }
    return null;
  }
}

/** A sample from the middle of the payload: its head is often a header that compresses unlike the rest. */
function sampleOf(payload: Buffer): Buffer {
  const start = Math.max(0, Math.floor((payload.length - SAMPLE_BYTES) / 2));
  return payload.subarray(start, start + SAMPLE_BYTES);
}
