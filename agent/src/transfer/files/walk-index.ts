/**
 * The two tables the sender's walker decides by, kept as the bytes they arrived in and decoded
 * only where needed: on a tree that did not change, an entry is decided by comparing bytes, with
 * no object made for it (decoding every record cost more than the walk itself).
 *   - TargetIndex: the receiver's index (meta + facts per entry, from its manifest).
 *   - SendCache: what the last verified send learnt of each source entry, valid while the entry's
 *     inode, size, mtime and ctime are the same (every change to content, mode, owner or xattrs
 *     moves ctime); its meta is the record as the target's manifest then kept it.
 */
import { BufReader, BufWriter, FACTS_BYTES, readFacts, readMeta, skipMeta, u32At, writeMeta, type EntryMeta } from "./entry-codec";
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

export class TargetIndex {
  /** Offset of each entry's meta record. */
  private readonly at: RecordFinder;
  private readonly decoded = new Map<string, TargetEntry>();

  constructor(private readonly buf: Buffer) {
    this.at = new RecordFinder(buf, 0, (o) => skipMeta(buf, o) + FACTS_BYTES);
  }

  get size(): number {
    return this.buf.length === 0 ? 0 : this.at.size;
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

  /** True when the target's record of rel is, byte for byte, the meta record buf[start, end). */
  hasRecord(rel: string, buf: Buffer, start: number, end: number): boolean {
    const o = this.at.find(rel);
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
    if (o === undefined) return false;
    const b = this.buf;
    let p = o + 4 + rel.length;
    if (
      b.readDoubleLE(p) !== st.ino ||
      b.readDoubleLE(p + 8) !== st.size ||
      b.readDoubleLE(p + 16) !== st.mtimeSec ||
      b.readUInt32LE(p + 24) !== st.mtimeNsec ||
      b.readDoubleLE(p + 28) !== st.ctimeSec ||
      b.readUInt32LE(p + 36) !== st.ctimeNsec
    ) {
      return false;
    }
    p += FIXED_BYTES;
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
    if (this.runEnd > this.runStart && this.recordStart === this.runEnd) {
      this.runEnd = this.recordEnd;
      return;
    }
    this.flushCopies(w);
    this.runStart = this.recordStart;
    this.runEnd = this.recordEnd;
  }

  flushCopies(w: BufWriter): void {
    if (this.runEnd > this.runStart) w.raw(this.buf, this.runStart, this.runEnd);
    this.runStart = this.runEnd = 0;
  }

  get bytes(): Buffer {
    return this.buf;
  }
}

function cacheRecordEnd(data: Buffer, o: number): number {
  const lengthAt = o + 4 + u32At(data, o) + FIXED_BYTES;
  return lengthAt + 4 + u32At(data, lengthAt);
}

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
