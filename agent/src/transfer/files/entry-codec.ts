/**
 * Entries of a file tree as they travel (in batches), as the target's manifest keeps them, and
 * as the sender's hash cache keeps them. Paths are latin1 strings: one character per byte, so a
 * name that is not UTF-8 (or holds a newline) maps to a string and back without loss, and Maps
 * can key on it. Convert with toPathBuffer() right before a system call.
 */
export const EntryType = { file: 1, dir: 2, symlink: 3, chr: 4, blk: 5, fifo: 6 } as const;
export type EntryTypeCode = (typeof EntryType)[keyof typeof EntryType];

export const Op = {
  /** Create or replace the entry; a file's content comes inline, in chunks, or from another target file. */
  put: 1,
  /** Same content on the target: apply owner, mode, times and xattrs only. */
  meta: 2,
  /** Already right on the target (by its manifest): nothing to do but verify. */
  keep: 3,
  /**
   * A KEEP for every child the target's index showed in a folder, named with the folder's digest
   * in that index (walk-index.ts): the sender found each of them unchanged. A child that did
   * change follows with its own record, which replaces the KEEP.
   */
  keepFolder: 4,
} as const;

/** Bytes of a folder's digest in the target's index and in a KEEP_FOLDER record. */
export const DIGEST_BYTES = 16;

export const Content = { none: 0, inline: 1, chunked: 2, copyFrom: 3, delta: 4 } as const;

export interface EntryMeta {
  /** Relative to the tree's root, "/"-separated, latin1; "" is the root itself. */
  path: string;
  type: EntryTypeCode;
  /** Permission bits including setuid, setgid and sticky (st_mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  mtimeSec: number;
  mtimeNsec: number;
  size: number;
  rdev: number;
  /** Symlink target (latin1); for a hard link, the path of the first name of its inode. */
  link: string;
  isHardlink: boolean;
  /** Fewer blocks than bytes: written with holes on the target. */
  isSparse: boolean;
  /** Extended attributes encoded by encodeXattrs (sorted by name); empty when none. */
  xattrs: Buffer;
  /** Content hash of a regular file (see file-hash.ts); empty when not known. */
  hash: Buffer;
}

export interface Record extends EntryMeta {
  op: number;
  content: number;
  /** Inline bytes, or for copyFrom the latin1 path of a target file with the same content. */
  data: Buffer | null;
  copyFrom: string;
  /** Chunked content: identifies the FILE_CHUNK / FILE_END frames of this file. */
  fileId: number;
}

/** What the target's manifest and index add about the file as it lies on the target. */
export interface TargetFacts {
  ino: number;
  ctimeSec: number;
  ctimeNsec: number;
}

export const EMPTY = Buffer.alloc(0);

export function toPathBuffer(latin1: string): Buffer {
  return Buffer.from(latin1, "latin1");
}

export function encodeXattrs(pairs: readonly [Buffer, Buffer][]): Buffer {
  if (pairs.length === 0) return EMPTY;
  const sorted = [...pairs].sort((a, b) => Buffer.compare(a[0], b[0]));
  let n = 4;
  for (const [k, v] of sorted) n += 8 + k.length + v.length;
  const out = Buffer.allocUnsafe(n);
  let o = out.writeUInt32LE(sorted.length, 0);
  for (const [k, v] of sorted) {
    o = out.writeUInt32LE(k.length, o);
    o += k.copy(out, o);
    o = out.writeUInt32LE(v.length, o);
    o += v.copy(out, o);
  }
  return out;
}

export function decodeXattrs(block: Buffer): [Buffer, Buffer][] {
  if (block.length === 0) return [];
  const out: [Buffer, Buffer][] = [];
  const count = block.readUInt32LE(0);
  let o = 4;
  for (let i = 0; i < count; i++) {
    const kl = block.readUInt32LE(o);
    const k = block.subarray(o + 4, o + 4 + kl);
    o += 4 + kl;
    const vl = block.readUInt32LE(o);
    const v = block.subarray(o + 4, o + 4 + vl);
    o += 4 + vl;
    out.push([k, v]);
  }
  return out;
}

/** A growable little-endian writer: records are small and many, so one buffer serves a whole batch. */
export class BufWriter {
  buf: Buffer;
  length = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.length = this.buf.writeUInt32LE(v >>> 0, this.length);
  }

  /** Integers up to 2^53 (sizes, inode numbers, seconds, device numbers). */
  num(v: number): void {
    this.ensure(8);
    this.length = this.buf.writeDoubleLE(v, this.length);
  }

  bytes(b: Buffer): void {
    this.u32(b.length);
    this.ensure(b.length);
    this.length += b.copy(this.buf, this.length);
  }

  /** Bytes copied as they are, no length before them. */
  raw(src: Buffer, start: number, end: number): void {
    this.ensure(end - start);
    this.length += src.copy(this.buf, this.length, start, end);
  }

  /**
   * A u32 length and the bytes src[start, start + n) after it, as str() writes a path: byte by
   * byte, which for a short path costs less than a call into Buffer's copy.
   */
  lengthAndBytes(src: Uint8Array, start: number, n: number): void {
    this.ensure(4 + n);
    const b = this.buf;
    let o = this.length;
    b[o++] = n & 0xff;
    b[o++] = (n >>> 8) & 0xff;
    b[o++] = (n >>> 16) & 0xff;
    b[o++] = n >>> 24;
    for (let i = 0; i < n; i++) b[o + i] = src[start + i]!;
    this.length = o + n;
  }

  str(latin1: string): void {
    this.u32(latin1.length);
    this.ensure(latin1.length);
    this.length += this.buf.write(latin1, this.length, "latin1");
  }

  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }
}

export class BufReader {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  get isDone(): boolean {
    return this.offset >= this.buf.length;
  }

  u8(): number {
    return this.buf[this.offset++]!;
  }

  u32(): number {
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  num(): number {
    const v = this.buf.readDoubleLE(this.offset);
    this.offset += 8;
    return v;
  }

  bytes(): Buffer {
    const n = this.u32();
    if (this.offset + n > this.buf.length) throw new Error("record truncated");
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  str(): string {
    const n = this.u32();
    if (this.offset + n > this.buf.length) throw new Error("record truncated");
    const s = this.buf.toString("latin1", this.offset, this.offset + n);
    this.offset += n;
    return s;
  }
}

/**
 * The same number, as a 32-bit integer when it is one. V8 keeps such a field in the object; a
 * double read from a Float64Array or a Buffer gets a 16-byte box of its own per field, which
 * for the writer's records and stats of every entry was a quarter of its heap.
 */
export function packed(x: number): number {
  const i = x | 0;
  return i === x ? i : x;
}

/** A copy, so a record kept in a Map does not pin the whole batch it was read from. */
function copyOrEmpty(b: Buffer): Buffer {
  return b.length === 0 ? EMPTY : Buffer.from(b);
}

const FLAG_HARDLINK = 1;
const FLAG_SPARSE = 2;

export function writeMeta(w: BufWriter, e: EntryMeta): void {
  w.str(e.path);
  w.u8(e.type);
  w.u8((e.isHardlink ? FLAG_HARDLINK : 0) | (e.isSparse ? FLAG_SPARSE : 0));
  w.u32(e.mode);
  w.u32(e.uid);
  w.u32(e.gid);
  w.num(e.mtimeSec);
  w.u32(e.mtimeNsec);
  w.num(e.size);
  w.num(e.rdev);
  w.str(e.link);
  w.bytes(e.xattrs);
  w.bytes(e.hash);
}

/**
 * A little-endian u32 at o, as buf.readUInt32LE(o) but with plain element loads that the
 * compiler inlines (the walker reads a few per record of tables of tens of thousands).
 */
export function u32At(buf: Uint8Array, o: number): number {
  if (o < 0 || o + 4 > buf.length) throw new RangeError(`record truncated at ${o}`);
  return (buf[o]! | (buf[o + 1]! << 8) | (buf[o + 2]! << 16) | (buf[o + 3]! << 24)) >>> 0;
}

/** The offset just past the writeMeta record that starts at `o`, without decoding it. */
export function skipMeta(buf: Buffer, o: number): number {
  o += 4 + u32At(buf, o); // path
  o += 2 + 12 + 12 + 16; // type, flags; mode, uid, gid; mtime; size, rdev
  o += 4 + u32At(buf, o); // link
  o += 4 + u32At(buf, o); // xattrs
  o += 4 + u32At(buf, o); // hash
  if (o > buf.length) throw new Error("record truncated");
  return o;
}

/** Bytes of a writeFacts record. */
export const FACTS_BYTES = 20;

/** With `op`, the object also has a record's fields (filled in by readRecord), so its shape never changes. */
export function readMeta(r: BufReader, op = 0): EntryMeta {
  const path = r.str();
  const type = r.u8() as EntryTypeCode;
  const flags = r.u8();
  const rec: Record = {
    op,
    content: 0,
    data: null,
    copyFrom: "",
    fileId: 0,
    path,
    type,
    isHardlink: (flags & FLAG_HARDLINK) !== 0,
    isSparse: (flags & FLAG_SPARSE) !== 0,
    mode: r.u32(),
    uid: r.u32(),
    gid: r.u32(),
    mtimeSec: packed(r.num()),
    mtimeNsec: r.u32(),
    size: packed(r.num()),
    rdev: packed(r.num()),
    link: r.str(),
    xattrs: copyOrEmpty(r.bytes()),
    hash: copyOrEmpty(r.bytes()),
  };
  return rec;
}

/** Batch records: op, metadata, then the content section. A KEEP carries only its path. */
export function writeRecord(w: BufWriter, op: number, e: EntryMeta, content = 0, data: Buffer | null = null, copyFrom = "", fileId = 0): void {
  w.u8(op);
  if (op === Op.keep) {
    w.str(e.path);
    return;
  }
  writeMeta(w, e);
  w.u8(content);
  if (content === Content.inline) w.bytes(data ?? EMPTY);
  else if (content === Content.copyFrom) w.str(copyFrom);
  else if (content === Content.chunked || content === Content.delta) w.u32(fileId);
}

/** A KEEP_FOLDER record: the folder's path, then its digest in the target's index. */
export function writeKeepFolder(w: BufWriter, dir: string, digest: Buffer): void {
  w.u8(Op.keepFolder);
  w.str(dir);
  w.raw(digest, 0, DIGEST_BYTES);
}

export type DecodedRecord =
  | { op: typeof Op.keep; path: string }
  | { op: typeof Op.keepFolder; path: string; digest: Buffer }
  | (Record & { op: typeof Op.put | typeof Op.meta });

export function readRecord(r: BufReader): DecodedRecord {
  const op = r.u8();
  if (op === Op.keep) return { op: Op.keep, path: r.str() };
  if (op === Op.keepFolder) {
    const path = r.str();
    if (r.offset + DIGEST_BYTES > r.buf.length) throw new Error("record truncated");
    const digest = Buffer.from(r.buf.subarray(r.offset, r.offset + DIGEST_BYTES));
    r.offset += DIGEST_BYTES;
    return { op: Op.keepFolder, path, digest };
  }
  if (op !== Op.put && op !== Op.meta) throw new Error(`unknown record op ${op}`);
  // One object per record, all fields at once: batches hold tens of thousands of them.
  const rec = readMeta(r, op) as Record;
  const content = r.u8();
  rec.content = content;
  if (content === Content.inline) rec.data = r.bytes();
  else if (content === Content.copyFrom) rec.copyFrom = r.str();
  else if (content === Content.chunked || content === Content.delta) rec.fileId = r.u32();
  return rec as DecodedRecord;
}

export function writeFacts(w: BufWriter, f: TargetFacts): void {
  w.num(f.ino);
  w.num(f.ctimeSec);
  w.u32(f.ctimeNsec);
}

export function readFacts(r: BufReader): TargetFacts {
  return { ino: packed(r.num()), ctimeSec: packed(r.num()), ctimeNsec: r.u32() };
}

/** Metadata that a KEEP or META decision compares (content aside). */
export function isSameMeta(a: EntryMeta, b: EntryMeta): boolean {
  return (
    a.type === b.type &&
    (a.type === EntryType.symlink || a.mode === b.mode) &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.mtimeSec === b.mtimeSec &&
    a.mtimeNsec === b.mtimeNsec &&
    a.xattrs.equals(b.xattrs)
  );
}

/**
 * A path from the wire must stay inside the target: no "..", ".", empty or absolute components,
 * no NUL. The receiver also never follows a symlink in a parent (see target-writer).
 */
export function isSafeRelativePath(p: string): boolean {
  if (p === "") return true;
  if (p.includes("\0")) return false;
  // Component by component without splitting: every record's path comes through here.
  for (let start = 0; ; ) {
    const slash = p.indexOf("/", start);
    const end = slash < 0 ? p.length : slash;
    const length = end - start;
    // An empty component is a leading, trailing or doubled "/"; then "." and "..".
    if (length === 0 || (length <= 2 && p.charCodeAt(start) === 46 && (length === 1 || p.charCodeAt(start + 1) === 46))) return false;
    if (slash < 0) return true;
    start = slash + 1;
  }
}

export function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.slice(0, i);
}

export function joinPath(parent: string, name: string): string {
  return parent === "" ? name : `${parent}/${name}`;
}

/** Latin1 path (raw bytes) as text for people: UTF-8 where it is, escapes where it is not. */
export function displayPath(latin1: string): string {
  const b = Buffer.from(latin1, "latin1");
  const s = b.toString("utf8");
  return Buffer.from(s, "utf8").equals(b) ? s : [...b].map((c) => (c < 0x80 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`)).join("");
}
