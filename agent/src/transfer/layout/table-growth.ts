/** What rewriting a copied partition table for a larger target disk comes down to: a few writes. */

export interface TableWrite {
  position: number;
  bytes: Buffer;
  /**
   * Make this write (and those before it) durable before the next one: the order in which a
   * table is rewritten is what keeps it valid if the target loses power half-way.
   */
  isBarrier: boolean;
}

export interface TableGrowth {
  kind: "gpt" | "mbr";
  /** Empty when the table already fits the target (a second run, or nothing to grow). */
  writes: TableWrite[];
  /** One line per change, for the log. */
  changes: string[];
  /** Set when the table was left as copied because it could not be trusted. */
  skippedReason?: string;
}

export interface TableGrowthOptions {
  /** Grow the partition that ends last to the end of the target (default true). */
  growLastPartition?: boolean;
}

const HEADS = 255;
const SECTORS_PER_TRACK = 63;

/**
 * CHS bytes of an MBR entry for `lba` in the 255-head, 63-sector geometry fdisk and sfdisk use;
 * beyond what CHS can address, `overflow` (fe ff ff for partitions, ff ff ff for a protective MBR).
 */
export function chsBytes(lba: number, overflow: readonly [number, number, number]): Buffer {
  const cylinder = Math.floor(lba / (HEADS * SECTORS_PER_TRACK));
  if (cylinder > 1023) return Buffer.from(overflow);
  const head = Math.floor(lba / SECTORS_PER_TRACK) % HEADS;
  const sector = (lba % SECTORS_PER_TRACK) + 1;
  return Buffer.from([head, sector | ((cylinder >> 2) & 0xc0), cylinder & 0xff]);
}
