import zlib from "node:zlib";

/**
 * deflate level 1 costs far more CPU than the link on incompressible data, so it is only tried
 * while it pays: after a few chunks that do not shrink by a tenth, the next ones go raw and
 * compression is tried again later (data on a disk changes character from region to region).
 */
export class AdaptiveCompressor {
  private failures = 0;
  private skipLeft = 0;
  rawBytesIn = 0;
  bytesOut = 0;

  constructor(
    private readonly failuresBeforeBackoff = 4,
    private readonly backoffChunks = 64,
  ) {}

  /** Returns the deflated payload, or null when it should travel as it is. */
  compress(parts: readonly Buffer[], rawLength: number): Buffer | null {
    if (this.skipLeft > 0) {
      this.skipLeft--;
      return null;
    }
    const out = zlib.deflateRawSync(parts.length === 1 ? parts[0]! : Buffer.concat(parts, rawLength), { level: 1 });
    if (out.length <= rawLength * 0.9) {
      this.failures = 0;
      this.rawBytesIn += rawLength;
      this.bytesOut += out.length;
      return out;
    }
    if (++this.failures >= this.failuresBeforeBackoff) {
      this.failures = 0;
      this.skipLeft = this.backoffChunks;
    }
    return null;
  }
}
