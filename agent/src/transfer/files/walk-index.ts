/**
 * The two tables the sender's walker decides by, kept as the bytes they arrived in and decoded
 * only where needed: on a tree that did not change, an entry is decided by comparing bytes, with
 * no object made for it (decoding every record cost more than the walk itself).
 *   - TargetIndex: the receiver's index (meta + facts per entry, from its manifest).
 *   - SendCache: what the last verified send learnt of each source entry, valid while the entry's
 *     inode, size, mtime and ctime are the same (every change to content, mode, owner or xattrs
 *     moves ctime); its meta is the record as the target's manifest then kept it.
 */
import { BufReader, BufWriter, DIGEST_BYTES, EntryType, FACTS_BYTES, parentOf, readFacts, readMeta, skipMeta, u32At, writeFacts, writeMeta, type EntryMeta, type TargetFacts } from "./entry-codec";
import type { Stat } from "./fast-stat";
import { CACHE_MAGIC } from "./walk-protocol";

export interface TargetEntry extends EntryMeta {
  ino: number;
}

function pathAt(buf: Buffer, o: number): string {
  const n = buf.readUInt32LE(o);
  if (o + 4 + n > buf.length) throw new Error("record truncated");
  return buf.toString("latin1", o + 4, o + 4 + n);
}

/** FNV-1a over a path's bytes, and over the same path as a latin1 string (the same number). */
function hashBytes(b: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Whether the record at o has the path rel (a latin1 string: one char per byte). */
function pathIs(b: Buffer, o: number, rel: string): boolean {
  if (o + 4 + rel.length > b.length || u32At(b, o) !== rel.length) return false;
  for (let i = 0; i < rel.length; i++) if (b[o + 4 + i] !== rel.charCodeAt(i)) return false;
  return true;
}

export function bytesEqual(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

function samePath(b: Buffer, o1: number, o2: number): boolean {
  const n = u32At(b, o1);
  return n === u32At(b, o2) && b.compare(b, o2 + 4, o2 + 4 + n, o1 + 4, o1 + 4 + n) === 0;
}

/**
 * Finds records by path in a buffer of records. A walk meets the entries of a tree that did not
 * change in the order it met them last time, so the record after the last one found is tried
 * first; only a miss builds a hash table of every record, once: record offsets in open
 * addressing keyed by the hash of the path's bytes, so no string is made for a record (a Map of
 * 32k path strings cost more than the rest of a walk's lookups). Of two records with one path,
 * the later counts.
 */
export class RecordFinder {
  /** Offset + 1 of a record in each slot, 0 for none; its size a power of two. */
  private slots: Int32Array | null = null;
  private offsets: number[] = [];
  private count = 0;
  private next: number;
  private lastRel: string | null = null;
  private lastAt = -1;

  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
    /** Where the record at o ends (the next one starts). */
    private readonly endOf: (o: number) => number,
  ) {
    if (buf.length >= 2 ** 31 - 1) throw new Error("record table too large");
    this.next = start;
  }

  /** The offset of rel's record, or undefined. */
  find(rel: string): number | undefined {
    if (rel === this.lastRel) return this.lastAt;
    const o = this.next < this.buf.length && pathIs(this.buf, this.next, rel) ? this.next : this.lookUp(rel);
    if (o === undefined) return undefined;
    this.lastRel = rel;
    this.lastAt = o;
    this.next = this.endOf(o);
    return o;
  }

  /** The next lookup tries the record at o first. */
  continueAt(o: number): void {
    this.next = o;
    this.lastRel = null;
  }

  /** The offset of the record whose path is src[start, start + n), or undefined. */
  findBytes(src: Buffer, start: number, n: number): number | undefined {
    const b = this.buf;
    let o: number | undefined;
    if (this.next + 4 + n <= b.length && u32At(b, this.next) === n && bytesEqual(b, this.next + 4, src, start, n)) o = this.next;
    else {
      const slots = this.table();
      const mask = slots.length - 1;
      for (let i = hashBytes(src, start, start + n) & mask; slots[i] !== 0; i = (i + 1) & mask) {
        const at = slots[i]! - 1;
        if (u32At(b, at) === n && bytesEqual(b, at + 4, src, start, n)) {
          o = at;
          break;
        }
      }
    }
    if (o === undefined) return undefined;
    this.lastRel = null;
    this.next = this.endOf(o);
    return o;
  }

  get size(): number {
    this.table();
    return this.count;
  }

  /** In record order. */
  *paths(): IterableIterator<string> {
    this.table();
    for (const o of this.offsets) {
      const rel = pathAt(this.buf, o);
      if (this.lookUp(rel) === o) yield rel;
    }
  }

  private lookUp(rel: string): number | undefined {
    const slots = this.table();
    const mask = slots.length - 1;
    for (let i = hashString(rel) & mask; slots[i] !== 0; i = (i + 1) & mask) if (pathIs(this.buf, slots[i]! - 1, rel)) return slots[i]! - 1;
    return undefined;
  }

  private table(): Int32Array {
    if (this.slots) return this.slots;
    const b = this.buf;
    const offsets: number[] = [];
    for (let o = this.start; o < b.length; o = this.endOf(o)) {
      if (o + 4 + u32At(b, o) > b.length) throw new Error("record truncated");
      offsets.push(o);
    }
    let size = 16;
    while (size < offsets.length * 2) size *= 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (const o of offsets) {
      let i = hashBytes(b, o + 4, o + 4 + u32At(b, o)) & mask;
      while (slots[i] !== 0 && !samePath(b, slots[i]! - 1, o)) i = (i + 1) & mask;
      if (slots[i] === 0) this.count++;
      slots[i] = o + 1;
    }
    this.slots = slots;
    this.offsets = offsets;
    return slots;
  }
}

export { DIGEST_BYTES };

/** A folder of the target's index: its digest, the paths of the children it covers, and their facts. */
export interface TargetFolder {
  digest: Buffer;
  paths: string[];
  /** Of those, the folders and second names of files (hard links): what a receiver tracks one by one. */
  specials: string[];
  /** What the addon's childFacts gives for a listing of exactly these children with these inodes and ctimes. */
  facts: Buffer;
}

const CHILD_FACTS_TAG = 5;
const childRecord = Buffer.alloc(256 + 1 + 24);

/** hash16 of one child's name and facts, as the addon's childFacts hashes each child of a listing. */
export function childFactsOf(name: string, facts: TargetFacts, hash16: (data: Uint8Array, tag: number) => Buffer): Buffer {
  const n = childRecord.write(name, 0, "latin1");
  childRecord[n] = 0;
  childRecord.writeDoubleLE(facts.ino, n + 1);
  childRecord.writeDoubleLE(facts.ctimeSec, n + 9);
  childRecord.writeDoubleLE(facts.ctimeNsec, n + 17);
  return hash16(childRecord.subarray(0, n + 25), CHILD_FACTS_TAG);
}

function xorInto(into: Buffer, h: Buffer): void {
  for (let i = 0; i < DIGEST_BYTES; i++) into[i]! ^= h[i]!;
}

/**
 * The receiver's index of what its manifest holds, as READY carries it:
 *   u32 number of folders, then per folder: its path, and the XOR of hash16 (the addon's two
 *     XXH64s) over the meta record of each entry the manifest holds directly in it;
 *   then per entry: its meta record and facts.
 * A folder's digest tells the sender at once whether the target holds exactly the records it
 * expects for that folder's children, in any order. `folders`, when given, gets each folder's
 * digest and children (what a KEEP_FOLDER naming that digest keeps) and their facts.
 */
export function encodeTargetIndex(
  entries: Iterable<{ meta: EntryMeta; facts: TargetFacts }>,
  hash16: (data: Uint8Array, tag: number) => Buffer,
  folders?: Map<string, TargetFolder>,
): Buffer {
  const records = new BufWriter(1024 * 1024);
  const table = folders ?? new Map<string, TargetFolder>();
  // The root's record first: the walk looks it up first, before any folder's digest can serve.
  const all = [...entries];
  const root = all.findIndex((e) => e.meta.path === "");
  if (root > 0) all.unshift(...all.splice(root, 1));
  for (const { meta, facts } of all) {
    const start = records.length;
    writeMeta(records, meta);
    if (meta.path !== "") {
      const h = hash16(records.buf.subarray(start, records.length), 0);
      const dir = parentOf(meta.path);
      let f = table.get(dir);
      if (!f) table.set(dir, (f = { digest: h, paths: [], specials: [], facts: Buffer.alloc(DIGEST_BYTES) }));
      else xorInto(f.digest, h);
      f.paths.push(meta.path);
      if (meta.type === EntryType.dir || meta.isHardlink) f.specials.push(meta.path);
      // Only the receiver asks for its folders, to prove them when it walks (write-worker.ts).
      if (folders) xorInto(f.facts, childFactsOf(meta.path.slice(dir === "" ? 0 : dir.length + 1), facts, hash16));
    }
    writeFacts(records, facts);
  }
  const w = new BufWriter(records.length + table.size * 64 + 16);
  w.u32(table.size);
  for (const [dir, f] of table) {
    w.str(dir);
    w.raw(f.digest, 0, DIGEST_BYTES);
  }
  const r = records.result();
  w.raw(r, 0, r.length);
  return w.result();
}

export class TargetIndex {
  /** Offset of each entry's meta record. */
  private readonly at: RecordFinder;
  private readonly decoded = new Map<string, TargetEntry>();
  private readonly digests = new Map<string, Buffer>();
  private readonly recordsStart: number;

  /** An index as encodeTargetIndex makes it; an empty buffer for a target with no manifest. */
  constructor(private readonly buf: Buffer) {
    let o = 0;
    if (buf.length > 0) {
      const r = new BufReader(buf);
      for (let n = r.u32(); n > 0; n--) {
        const dir = r.str();
        if (r.offset + DIGEST_BYTES > buf.length) throw new Error("target index truncated");
        this.digests.set(dir, buf.subarray(r.offset, r.offset + DIGEST_BYTES));
        r.offset += DIGEST_BYTES;
      }
      o = r.offset;
    }
    this.recordsStart = o;
    this.at = new RecordFinder(buf, o, (at) => skipMeta(buf, at) + FACTS_BYTES);
  }

  get size(): number {
    return this.recordsStart >= this.buf.length ? 0 : this.at.size;
  }

  /** The XOR of hash16 over the meta records of dir's children, as the target holds them. */
  digestOf(dir: string): Buffer | undefined {
    return this.digests.get(dir);
  }

  get(rel: string): TargetEntry | undefined {
    const known = this.decoded.get(rel);
    if (known) return known;
    const o = this.at.find(rel);
    if (o === undefined) return undefined;
    const r = new BufReader(this.buf);
    r.offset = o;
    const t = readMeta(r) as TargetEntry;
    t.ino = readFacts(r).ino;
    this.decoded.set(rel, t);
    return t;
  }

  *values(): IterableIterator<TargetEntry> {
    for (const rel of this.at.paths()) yield this.get(rel)!;
  }

  /** As hasRecord, for the meta record buf[start, end), found by the path it begins with. */
  hasRecordBytes(buf: Buffer, start: number, end: number): boolean {
    return this.isRecordAt(this.at.findBytes(buf, start + 4, u32At(buf, start)), buf, start, end);
  }

  /** True when the target's record of rel is, byte for byte, the meta record buf[start, end). */
  hasRecord(rel: string, buf: Buffer, start: number, end: number): boolean {
    return this.isRecordAt(this.at.find(rel), buf, start, end);
  }

  private isRecordAt(o: number | undefined, buf: Buffer, start: number, end: number): boolean {
    if (o === undefined) return false;
    const e = skipMeta(this.buf, o);
    return e - o === end - start && this.buf.compare(buf, start, end, o, e) === 0;
  }
}

/** Bytes of a cache record between its path and its meta: ino, size, mtime, ctime. */
const FIXED_BYTES = 8 + 8 + 8 + 4 + 8 + 4;

/** Record layout: path, ino, size, mtimeSec, mtimeNsec, ctimeSec, ctimeNsec, u32 length, meta. */
export class SendCache {
  private at: RecordFinder | null = null;
  private readonly buf: Buffer;
  /** Records kept as they are and not yet copied (see copyHit): one copy for a run of them. */
  private runStart = 0;
  private runEnd = 0;
  /** Set by hit(): the bounds of the record found and of its meta. */
  recordStart = 0;
  recordEnd = 0;
  metaStart = 0;
  /** The last meta decoded, and where its record starts. */
  private decoded: EntryMeta | null = null;
  private decodedAt = -1;

  /** An unreadable or older cache is an empty one: it only costs reading the files again. */
  constructor(data: Buffer | null) {
    this.buf = data ?? Buffer.alloc(0);
    if (!data) return;
    try {
      const r = new BufReader(data);
      if (r.str() !== CACHE_MAGIC) return;
      // Checked whole here, so that finding records later cannot run past a truncated one.
      let o = r.offset;
      while (o < data.length) o = cacheRecordEnd(data, o);
      if (o !== data.length) throw new Error("record truncated");
      this.at = new RecordFinder(data, r.offset, (at) => cacheRecordEnd(data, at));
    } catch {
      this.at = null;
    }
  }

  /** Whether rel is as cached (same inode, size, mtime and ctime); if so, sets the bounds above. */
  hit(rel: string, st: Stat): boolean {
    const o = this.at?.find(rel);
    if (o === undefined || !this.isRecordOf(o, st.ino, st.size, st.mtimeSec, st.mtimeNsec, st.ctimeSec, st.ctimeNsec)) return false;
    const b = this.buf;
    const p = o + 4 + rel.length + FIXED_BYTES;
    this.recordStart = o;
    this.metaStart = p + 4;
    this.recordEnd = this.metaStart + b.readUInt32LE(p);
    return true;
  }

  /** The cached meta of rel when it is as cached (decoded: for the entries that changed). */
  meta(rel: string, st: Stat): EntryMeta | null {
    if (!this.hit(rel, st)) return null;
    // The walker asks twice for an entry it decides the long way (its xattrs, then its hash).
    if (this.decodedAt !== this.metaStart) {
      const r = new BufReader(this.buf);
      r.offset = this.metaStart;
      this.decoded = readMeta(r);
      this.decodedAt = this.metaStart;
    }
    return this.decoded;
  }

  /**
   * The record hit() found, for a new cache that keeps it as it is. Copied in runs: call
   * flushCopies(w) before writing anything else to w, and before taking its result.
   */
  copyHit(w: BufWriter): void {
    this.copyRecord(w, this.recordStart, this.recordEnd);
  }

  /** The cached record buf[start, end) into w, as copyHit. */
  copyRecord(w: BufWriter, start: number, end: number): void {
    if (this.runEnd > this.runStart && start === this.runEnd) {
      this.runEnd = end;
      return;
    }
    this.flushCopies(w);
    this.runStart = start;
    this.runEnd = end;
  }

  /** The next lookup tries the record at o first (the walker read up to it by itself). */
  continueAt(o: number): void {
    this.at?.continueAt(o);
  }

  /**
   * The cached records of dir's children, when dir's listing (names and every child's stat) had
   * the fingerprint fp at the last verified send: the block starts at `start` and holds `count`
   * entry records, in the order of the listing.
   */
  block(dir: string, fp: Buffer): CachedBlock | null {
    const o = this.at?.find(`\0${dir}`);
    if (o === undefined) return null;
    const fpAt = o + 4 + u32At(this.buf, o);
    const digestAt = fpAt + FINGERPRINT_BYTES;
    const digest = this.buf.subarray(digestAt, digestAt + DIGEST_BYTES);
    return {
      start: digestAt + DIGEST_BYTES + 4,
      count: u32At(this.buf, digestAt + DIGEST_BYTES),
      isListingSame: bytesEqual(this.buf, fpAt, fp, 0, FINGERPRINT_BYTES),
      isNamesSame: bytesEqual(this.buf, fpAt, fp, 0, NAMES_HASH_BYTES),
      targetDigest: digest.some((b) => b !== 0) ? digest : null,
    };
  }

  /** Whether the entry record at o holds this stat (inode, size, mtime and ctime), as hit() checks. */
  isRecordOf(o: number, ino: number, size: number, mtimeSec: number, mtimeNsec: number, ctimeSec: number, ctimeNsec: number): boolean {
    const b = this.buf;
    const p = o + 4 + u32At(b, o);
    return (
      b.readDoubleLE(p) === ino &&
      b.readDoubleLE(p + 8) === size &&
      b.readDoubleLE(p + 16) === mtimeSec &&
      b.readUInt32LE(p + 24) === mtimeNsec &&
      b.readDoubleLE(p + 28) === ctimeSec &&
      b.readUInt32LE(p + 36) === ctimeNsec
    );
  }

  flushCopies(w: BufWriter): void {
    if (this.runEnd > this.runStart) w.raw(this.buf, this.runStart, this.runEnd);
    this.runStart = this.runEnd = 0;
  }

  get bytes(): Buffer {
    return this.buf;
  }
}

/** A folder's block in the send cache (see writeBlockHeader). */
export interface CachedBlock {
  /** Offset of its first entry record, and how many follow. */
  start: number;
  count: number;
  /** Whether the folder's listing has the fingerprint the block was written under: no child changed. */
  isListingSame: boolean;
  /** Whether its names are the ones the block was written under, in the same order (the fingerprint's first part). */
  isNamesSame: boolean;
  /** The target's digest of the folder under which every record was found to be the target's own, if known. */
  targetDigest: Buffer | null;
}

/** Bytes of a folder's listing fingerprint (see writeBlockHeader): XXH64 of its names, then hash16 of their stats. */
export const FINGERPRINT_BYTES = 24;
const NAMES_HASH_BYTES = 8;

/** A block header's path begins with a NUL, which no entry's path holds. */
function isBlockHeader(data: Buffer, o: number): boolean {
  return u32At(data, o) > 0 && data[o + 4] === 0;
}

/** Just past the record at o: an entry's or a block header's. */
export function cacheRecordEnd(data: Buffer, o: number): number {
  const n = u32At(data, o);
  if (n > 0 && data[o + 4] === 0) return o + 4 + n + FINGERPRINT_BYTES + DIGEST_BYTES + 4;
  const lengthAt = o + 4 + n + FIXED_BYTES;
  return lengthAt + 4 + u32At(data, lengthAt);
}

/** Where an entry record's meta (which begins with its path) starts; it ends with the record. */
export function cacheMetaStart(data: Buffer, o: number): number {
  return o + 4 + u32At(data, o) + FIXED_BYTES + 4;
}

/**
 * Appends the header of dir's block: the records of dir's children follow it, in the order of its
 * listing. Its path is a NUL and dir (so no entry's lookup finds it), then the listing's
 * fingerprint, the target's digest of dir (see encodeTargetIndex) under which every record of
 * the block was found to be the target's own (zeros: not known), and the number of records.
 * The caller sets the last two at the returned offsets once the block is written.
 */
export function writeBlockHeader(w: BufWriter, dir: string, fp: Buffer): { digestAt: number; countAt: number } {
  w.str(`\0${dir}`);
  w.raw(fp, 0, FINGERPRINT_BYTES);
  const digestAt = w.length;
  w.raw(ZERO_DIGEST, 0, DIGEST_BYTES);
  const countAt = w.length;
  w.u32(0);
  return { digestAt, countAt };
}

const ZERO_DIGEST = Buffer.alloc(16);

/** Appends rel's cache record: its stat now and the meta the target will keep for it. */
export function writeCacheRecord(w: BufWriter, rel: string, st: Stat, e: EntryMeta): void {
  w.str(rel);
  w.num(st.ino);
  w.num(st.size);
  w.num(st.mtimeSec);
  w.u32(st.mtimeNsec);
  w.num(st.ctimeSec);
  w.u32(st.ctimeNsec);
  const lengthAt = w.length;
  w.u32(0);
  writeMeta(w, e);
  w.buf.writeUInt32LE(w.length - lengthAt - 4, lengthAt);
}

/**
 * Fills in the hashes of streamed files (known only once sent, to the main thread): their meta
 * was cached with an empty hash, which is the record's last field.
 */
export function fillCacheHashes(cache: Buffer, streamed: Map<string, Buffer>): Buffer {
  if (streamed.size === 0) return cache;
  const w = new BufWriter(cache.length + streamed.size * 32 + 1024);
  const r = new BufReader(cache);
  w.str(r.str());
  for (let o = r.offset; o < cache.length; ) {
    if (isBlockHeader(cache, o)) {
      const end = cacheRecordEnd(cache, o);
      w.raw(cache, o, end);
      o = end;
      continue;
    }
    const rel = pathAt(cache, o);
    const lengthAt = o + 4 + rel.length + FIXED_BYTES;
    const end = lengthAt + 4 + cache.readUInt32LE(lengthAt);
    const hash = streamed.get(rel);
    if (hash && cache.readUInt32LE(end - 4) === 0) {
      w.raw(cache, o, lengthAt);
      w.u32(cache.readUInt32LE(lengthAt) + hash.length);
      w.raw(cache, lengthAt + 4, end - 4);
      w.bytes(hash);
    } else w.raw(cache, o, end);
    o = end;
  }
  return w.result();
}
