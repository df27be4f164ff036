import type { ByteRange } from "../byte-ranges";
import type { ReadAt } from "./read-at";

const SB_MAGIC = 0x58465342; // "XFSB"
const AGF_MAGIC = 0x58414746; // "XAGF"
const BNOBT_MAGIC_V4 = 0x41425442; // "ABTB"
const BNOBT_MAGIC_V5 = 0x41423342; // "AB3B"
const NULL_AGBLOCK = 0xffffffff;
/** magic, level, numrecs, left and right sibling. */
const SHORT_BLOCK_HEADER_V4 = 16;
/** The v4 header plus disk address, LSN, UUID, owning AG and CRC. */
const SHORT_BLOCK_HEADER_V5 = 56;
/** A bnobt record and a key are both {startblock, blockcount}; a node pointer is one AG block. */
const RECORD_BYTES = 8;
const POINTER_BYTES = 4;

const INCOMPAT_META_UUID = 1 << 2;
const INCOMPAT_NEEDSREPAIR = 1 << 4;
// Features whose on-disk changes leave the AG headers and free-space trees as we read them.
// Anything newer (zoned devices keep a real-time section inside the data device) is refused.
const KNOWN_INCOMPAT =
  (1 << 0) | // ftype
  (1 << 1) | // sparse inode chunks
  INCOMPAT_META_UUID |
  (1 << 3) | // bigtime
  INCOMPAT_NEEDSREPAIR |
  (1 << 5) | // 64-bit extent counters
  (1 << 6) | // exchange-range
  (1 << 7) | // parent pointers
  (1 << 8); // metadata directory (its real-time groups are refused by the rblocks check)
const KNOWN_RO_COMPAT =
  (1 << 0) | // free inode btree
  (1 << 1) | // reverse-map btree (its blocks come from the AGFL: used, never in the bnobt)
  (1 << 2) | // reflink (shared blocks are allocated once)
  (1 << 3); // inode btree counters

export interface XfsUsage {
  ranges: ByteRange[];
  blockSize: number;
  /** sb_dblocks: the data section; the ranges never reach past it. */
  blockCount: number;
  /** Blocks in the by-block free-space B+trees: the only blocks not sent. */
  freeBlocks: number;
  usedBlocks: number;
  /**
   * sb_fdblocks. It also counts AGFL blocks and the free-space trees' own non-root blocks as free
   * (space the filesystem could hand out), which we send: on a cleanly unmounted filesystem it
   * equals freeBlocks + the AGFs' flcount + their btreeblks.
   */
  superblockFreeBlocks: number;
}

interface FreeExtent {
  /** Absolute filesystem block (AG start + AG block), not XFS's segmented block number. */
  start: number;
  count: number;
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** Levels a tree of `records` can need at the minimum fill XFS allows (half of each block). */
function maxTreeLevels(leafMaxRecs: number, nodeMaxRecs: number, records: number): number {
  let blocks = Math.ceil(records / Math.max(1, Math.floor(leafMaxRecs / 2)));
  let levels = 1;
  while (blocks > 1) {
    blocks = Math.ceil(blocks / Math.max(2, Math.floor(nodeMaxRecs / 2)));
    levels++;
  }
  return levels;
}

/**
 * Reads the used blocks of an XFS filesystem starting at `base`: everything in the data section
 * that the free-space B+trees by block number (one per allocation group) do not list as free.
 * AGFL blocks, the trees' own blocks and the internal log are thereby used, and sent.
 * Returns null when there is no XFS superblock, when the filesystem has parts we cannot map from
 * this device (a real-time section or an external log), uses a feature we do not know, does not
 * fit its container, or when any AGF or tree block fails a check: the caller then falls back to
 * sending non-zero chunks. A block the filesystem uses is never reported free.
 */
export async function readXfsUsage(readAt: ReadAt, base: number, length: number): Promise<XfsUsage | null> {
  const sb = await readAt(512, base);
  if (sb.readUInt32BE(0) !== SB_MAGIC) return null;
  const blockSize = sb.readUInt32BE(4);
  const dblocks = Number(sb.readBigUInt64BE(8));
  const rblocks = sb.readBigUInt64BE(16);
  const rextents = sb.readBigUInt64BE(24);
  const logStart = Number(sb.readBigUInt64BE(48));
  const agBlocks = sb.readUInt32BE(84);
  const agCount = sb.readUInt32BE(88);
  const logBlocks = sb.readUInt32BE(96);
  const versionNum = sb.readUInt16BE(100);
  const sectorSize = sb.readUInt16BE(102);
  const blockLog = sb[120]!;
  const sectorLog = sb[121]!;
  const agBlockLog = sb[124]!;
  const isInProgress = sb[126] !== 0;
  const superblockFreeBlocks = Number(sb.readBigUInt64BE(144));
  const version = versionNum & 0xf;
  if (version !== 4 && version !== 5) return null;
  const isV5 = version === 5;
  if (isV5) {
    const roCompat = sb.readUInt32BE(212);
    const incompat = sb.readUInt32BE(216);
    if ((incompat & ~KNOWN_INCOMPAT) !== 0 || (incompat & INCOMPAT_NEEDSREPAIR) !== 0) return null;
    if ((roCompat & ~KNOWN_RO_COMPAT) !== 0) return null;
  }
  if (isInProgress) return null;
  if (!isPowerOfTwo(blockSize) || blockSize < 512 || blockSize > 65536 || 2 ** blockLog !== blockSize) return null;
  if (!isPowerOfTwo(sectorSize) || sectorSize < 512 || sectorSize > blockSize || 2 ** sectorLog !== sectorSize) return null;
  // Data on another device (real-time section, external log) is not ours to map: refuse.
  if (rblocks !== 0n || rextents !== 0n || logStart === 0 || logBlocks === 0) return null;
  if (agCount === 0 || agBlocks === 0 || agBlockLog > 31) return null;
  // sb_agblklog is agblocks rounded up to a power of two; segmented block numbers (the log's
  // start) put the AG number above it.
  if (2 ** agBlockLog < agBlocks || 2 ** agBlockLog >= agBlocks * 2) return null;
  if (!Number.isSafeInteger(dblocks * blockSize) || !Number.isSafeInteger(logStart)) return null;
  if (dblocks <= (agCount - 1) * agBlocks || dblocks > agCount * agBlocks) return null;
  if (dblocks * blockSize > length) return null;
  const agLengthOf = (ag: number) => (ag < agCount - 1 ? agBlocks : dblocks - ag * agBlocks);
  const logAg = Math.floor(logStart / 2 ** agBlockLog);
  const logAgBlock = logStart % 2 ** agBlockLog;
  if (logAg >= agCount || logAgBlock + logBlocks > agLengthOf(logAg)) return null;
  const logFirst = logAg * agBlocks + logAgBlock;

  const headerBytes = isV5 ? SHORT_BLOCK_HEADER_V5 : SHORT_BLOCK_HEADER_V4;
  const leafMaxRecs = Math.floor((blockSize - headerBytes) / RECORD_BYTES);
  const nodeMaxRecs = Math.floor((blockSize - headerBytes) / (RECORD_BYTES + POINTER_BYTES));
  // The superblock, AGF, AGI and AGFL take the first four sectors of every AG: never free.
  const firstFreeable = Math.ceil((4 * sectorSize) / blockSize);
  // Tree blocks of a CRC filesystem name this UUID (sb_meta_uuid once the user UUID was changed).
  const uuidAt = (sb.readUInt32BE(216) & INCOMPAT_META_UUID) !== 0 ? 248 : 32;
  const metaUuid = isV5 ? sb.subarray(uuidAt, uuidAt + 16) : null;

  const free: FreeExtent[] = [];
  for (let ag = 0; ag < agCount; ag++) {
    const agFirst = ag * agBlocks;
    const agLength = agLengthOf(ag);
    const agf = await readAt(sectorSize, base + agFirst * blockSize + sectorSize);
    if (agf.readUInt32BE(0) !== AGF_MAGIC || agf.readUInt32BE(4) !== 1) return null;
    if (agf.readUInt32BE(8) !== ag || agf.readUInt32BE(12) !== agLength) return null;
    if (metaUuid && !agf.subarray(64, 80).equals(metaUuid)) return null;
    const root = agf.readUInt32BE(16);
    const levels = agf.readUInt32BE(28);
    const agfFreeBlocks = agf.readUInt32BE(52);
    if (levels < 1 || levels > maxTreeLevels(leafMaxRecs, nodeMaxRecs, Math.ceil(agLength / 2))) return null;

    // Sibling pointers of the block last visited on each level: a depth-first walk meets each
    // level's blocks left to right, so they must chain exactly, which also rules out cycles and
    // blocks reached twice.
    const lastOnLevel: ({ block: number; right: number } | undefined)[] = [];
    let cursor = firstFreeable;
    let agFree = 0;
    const visit = async (block: number, level: number): Promise<boolean> => {
      if (block < firstFreeable || block >= agLength) return false;
      const buf = await readAt(blockSize, base + (agFirst + block) * blockSize);
      if (buf.readUInt32BE(0) !== (isV5 ? BNOBT_MAGIC_V5 : BNOBT_MAGIC_V4)) return false;
      if (buf.readUInt16BE(4) !== level) return false;
      const recs = buf.readUInt16BE(6);
      const left = buf.readUInt32BE(8);
      const right = buf.readUInt32BE(12);
      if (metaUuid) {
        const sectorsPerBlock = blockSize / 512;
        if (Number(buf.readBigUInt64BE(16)) !== (agFirst + block) * sectorsPerBlock) return false;
        if (!buf.subarray(32, 48).equals(metaUuid) || buf.readUInt32BE(48) !== ag) return false;
      }
      const previous = lastOnLevel[level];
      if (left !== (previous ? previous.block : NULL_AGBLOCK)) return false;
      if (previous && previous.right !== block) return false;
      lastOnLevel[level] = { block, right };
      if (level === 0) {
        if (recs > leafMaxRecs) return false;
        for (let i = 0; i < recs; i++) {
          const start = buf.readUInt32BE(headerBytes + i * RECORD_BYTES);
          const count = buf.readUInt32BE(headerBytes + i * RECORD_BYTES + 4);
          if (count === 0 || start < cursor || start + count > agLength) return false;
          cursor = start + count;
          agFree += count;
          free.push({ start: agFirst + start, count });
        }
        return true;
      }
      if (recs === 0 || recs > nodeMaxRecs) return false;
      // Pointers follow room for a full block of keys, however many keys are in use.
      const pointers = headerBytes + nodeMaxRecs * RECORD_BYTES;
      for (let i = 0; i < recs; i++) {
        if (!(await visit(buf.readUInt32BE(pointers + i * POINTER_BYTES), level - 1))) return false;
      }
      return true;
    };
    if (!(await visit(root, levels - 1))) return null;
    if (lastOnLevel.some((b) => b?.right !== NULL_AGBLOCK)) return null;
    if (agFree !== agfFreeBlocks) return null;
  }

  // The log is allocated at mkfs time; a free extent inside it means we misread something.
  if (free.some((f) => f.start < logFirst + logBlocks && logFirst < f.start + f.count)) return null;

  const ranges: ByteRange[] = [];
  let used = 0;
  const pushUsed = (from: number, to: number) => {
    if (to <= from) return;
    ranges.push({ start: base + from * blockSize, end: base + to * blockSize, mode: "data" });
    used += to - from;
  };
  let next = 0;
  for (const f of free) {
    pushUsed(next, f.start);
    next = f.start + f.count;
  }
  pushUsed(next, dblocks);
  return {
    ranges,
    blockSize,
    blockCount: dblocks,
    freeBlocks: dblocks - used,
    usedBlocks: used,
    superblockFreeBlocks,
  };
}
