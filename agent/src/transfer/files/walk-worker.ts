/**
 * The sender's walker, on a worker thread: a synchronous readdir + lstat walk (far faster than an
 * awaited opendir loop), reading extended attributes, deciding per entry what the target needs
 * (by its manifest), reading and hashing small files, and packing records into large batches
 * for the main thread to frame and send. Large files are only announced; the main thread streams
 * them. Batches in flight are bounded by a shared counter, so memory stays flat on huge trees.
 */
import fs from "node:fs";
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import {
  BufReader,
  BufWriter,
  Content,
  EntryType,
  encodeXattrs,
  EMPTY,
  isSameMeta,
  joinPath,
  Op,
  readMeta,
  u32At,
  writeKeepFolder,
  writeRecord,
  type EntryMeta,
  type EntryTypeCode,
} from "./entry-codec";
import { splitNames, statAt, typeOfMode, type Stat } from "./fast-stat";
import { DELTA_MIN_BYTES } from "./delta";
import { compileExcludes } from "./exclude-glob";
import { CELL_BYTES, cellCount, cellHash, fileHashFromCells, smallFileHash } from "./file-hash";
import { bindViews, devKey, readMountInfo, readMountLines, SKIPPED_FS_TYPES } from "./mount-types";
import { loadNativeFs, ST, STAT_FIELDS } from "./native/native-fs";
import { TreePaths } from "./tree-paths";
import { cacheMetaStart, cacheRecordEnd, DIGEST_BYTES, SendCache, TargetIndex, writeBlockHeader, writeCacheRecord, type CachedBlock, type TargetEntry } from "./walk-index";
import { CACHE_MAGIC, type IndexMessage, type LargeFile, type WalkerInput, type WalkerMessage, type WalkStats } from "./walk-protocol";

const input = workerData as WalkerInput;
/** FERRY_TRACE=1: phase times on stderr, for tuning. */
const trace = process.env.FERRY_TRACE ? (what: string) => process.stderr.write(`trace walk ${(performance.timeOrigin + performance.now() - input.traceOrigin).toFixed(0)} ${what}\n`) : () => undefined;
trace("loaded");
const native = loadNativeFs();
const paths = new TreePaths(input.root);
const isExcluded = compileExcludes(input.excludes);
const inflight = new Int32Array(input.inflight);
const mounts = readMountInfo();
/** Bind mounts in the tree whose contents the walk copies where they live (see bindViews). */
const views = bindViews(readMountLines(), input.root, isWalkedFolder);

/** Whether the walk enters a folder: neither it nor a folder above it excluded, not our state. */
function isWalkedFolder(rel: string): boolean {
  if (rel === "") return true;
  if (rel === ".ferry" || rel.startsWith(".ferry/")) return false;
  for (let i = rel.indexOf("/"); i !== -1; i = rel.indexOf("/", i + 1)) if (isExcluded(rel.slice(0, i), true)) return false;
  return !isExcluded(rel, true);
}

/**
 * The target's index arrives while the walker lists folders ahead (scanAhead); nothing is
 * decided before it is here.
 */
let target: TargetIndex | null = null;
let targetByHash: Map<string, string> | null = null;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function takeIndex(isBlocking: boolean): boolean {
  if (target) return true;
  for (;;) {
    const m = receiveMessageOnPort(input.indexPort);
    if (m) {
      const index = m.message as IndexMessage | null;
      target = new TargetIndex(index ? Buffer.from(index.buffer, index.offset, index.length) : EMPTY);
      trace(`index (${scannedAhead.size} folders listed ahead)`);
      return true;
    }
    if (!isBlocking) return false;
    Atomics.wait(sleeper, 0, 0, 2);
  }
}

/**
 * The target's record of a changed child of a folder the target holds as cached (keepFolder):
 * the cached record's meta, byte for byte the target's, so no table of the index is built for it.
 */
let targetHint: { rel: string; metaStart: number } | null = null;

function targetOf(rel: string): TargetEntry | undefined {
  if (targetHint?.rel !== rel) return target!.get(rel);
  const r = new BufReader(cache.bytes);
  r.offset = targetHint.metaStart;
  // Its inode on the target is not in the cache (see visitFile).
  return Object.assign(readMeta(r), { ino: CACHED_INO });
}

/** The inode of a target record taken from the cache: not known. */
const CACHED_INO = -1;

/** Target files by content hash, for renames and copies; built only when first asked. */
function byHash(): Map<string, string> {
  if (targetByHash) return targetByHash;
  targetByHash = new Map();
  for (const m of target!.values()) if (m.type === EntryType.file && m.hash.length > 0 && m.size > 0) targetByHash.set(m.hash.toString("latin1"), m.path);
  return targetByHash;
}

/** What the last verified send learnt of each entry (see SendCache). */
const cache = new SendCache(input.cache ? Buffer.from(input.cache) : null);
// About the old cache's size: growing it copies, and fresh memory is slow to touch on some hosts.
const newCache = new BufWriter((input.cache?.byteLength ?? 0) + 1024 * 1024);
newCache.str(CACHE_MAGIC);

const stats: WalkStats = {
  entries: 0,
  files: 0,
  dirs: 0,
  symlinks: 0,
  hardlinks: 0,
  specials: 0,
  bytes: 0,
  put: 0,
  meta: 0,
  keep: 0,
  inlineBytes: 0,
  chunkedBytes: 0,
  copied: 0,
  deltas: 0,
  foldersByFingerprint: 0,
  foldersByDigest: 0,
  keptFolders: 0,
};
const firstNameOf = new Map<string, string>();
const isPutPath = new Set<string>();
let nextFileId = 1;
let batch = new BufWriter(input.batchBytes + 256 * 1024);
let batchCount = 0;
/** Entries a batch decides, kept whole by their folder's record or by their own. */
let batchEntries = 0;
/**
 * A batch goes once it decides this many entries, even when its records are few (KEEP_FOLDER):
 * the receiver then checks and writes while the walk goes on, not all after it.
 */
const ENTRIES_PER_BATCH = 4096;

function post(message: WalkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

function note(kind: "skipped" | "vanished" | "changed" | "error", path: string, text: string): void {
  post({ t: "note", kind, path, text });
}

function flush(large?: LargeFile): void {
  if (batchCount === 0 && !large) return;
  // Wait while the main thread has enough batches queued (it decrements as it sends).
  for (;;) {
    const n = Atomics.load(inflight, 0);
    if (n < input.maxInflight) break;
    Atomics.wait(inflight, 0, n, 1000);
  }
  Atomics.add(inflight, 0, 1);
  const length = batch.length;
  const buf = batch.buf.buffer as ArrayBuffer;
  post({ t: "batch", buf, offset: batch.buf.byteOffset, length, count: batchCount, large }, [buf]);
  batch = new BufWriter(input.batchBytes + 256 * 1024);
  batchCount = 0;
  batchEntries = 0;
}

function flushWhenFull(): void {
  if (batch.length >= input.batchBytes || batchCount >= 20000 || batchEntries >= ENTRIES_PER_BATCH) flush();
}

function metaOf(rel: string, st: Stat, type: EntryTypeCode): EntryMeta {
  const c = cache.meta(rel, st);
  let xattrs: Buffer = c?.xattrs ?? EMPTY;
  // A hard link's cached link is its first name, not a symlink's target.
  let link = c && type === EntryType.symlink ? c.link : "";
  if (!c) {
    const abs = paths.abs(rel);
    try {
      xattrs = encodeXattrs(native.listXattrs(abs));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw error;
      note("error", rel, `cannot read extended attributes: ${(error as Error).message}`);
    }
    if (type === EntryType.symlink) link = fs.readlinkSync(abs, { encoding: "buffer" }).toString("latin1");
  }
  const size = type === EntryType.file ? st.size : 0;
  return {
    path: rel,
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtimeSec: st.mtimeSec,
    mtimeNsec: st.mtimeNsec,
    size,
    rdev: type === EntryType.chr || type === EntryType.blk ? st.rdev : 0,
    link,
    isHardlink: false,
    isSparse: type === EntryType.file && size > 0 && st.blocks * 512 < size,
    xattrs,
    hash: Buffer.alloc(0),
  };
}

/** Reads a whole small file straight into the batch; null if it vanished. */
/** null: vanished; undefined: unreadable (already noted). */
function readInline(abs: Buffer, size: number): { data: Buffer; isChanged: boolean } | null | undefined {
  let buf: Buffer | null;
  try {
    buf = native.readSmall(abs, size + 1);
  } catch (error) {
    // Unreadable (EACCES without root, EIO...): reported, and the rest goes on.
    const rel = abs.toString("latin1").slice(input.root.length + 1);
    note("error", rel, `cannot read: ${(error as Error).message}`);
    return undefined;
  }
  if (!buf) return null;
  return { data: buf.subarray(0, Math.min(buf.length, size)), isChanged: buf.length !== size };
}

function hashFileSync(abs: Buffer, size: number): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const cells: Buffer[] = [];
    const buf = Buffer.allocUnsafe(Math.min(size, CELL_BYTES));
    for (let i = 0; i < cellCount(size); i++) {
      const len = Math.min(CELL_BYTES, size - i * CELL_BYTES);
      let n = 0;
      while (n < len) {
        const k = fs.readSync(fd, buf, n, len - n, i * CELL_BYTES + n);
        if (k === 0) return null;
        n += k;
      }
      if (size <= CELL_BYTES) return smallFileHash(buf.subarray(0, len));
      cells.push(cellHash(buf.subarray(0, len)));
    }
    return size <= CELL_BYTES ? smallFileHash(buf.subarray(0, 0)) : fileHashFromCells(size, cells);
  } finally {
    fs.closeSync(fd);
  }
}

function cachedHash(rel: string, st: Stat): Buffer | null {
  const h = cache.meta(rel, st)?.hash;
  return h && h.length > 0 ? h : null;
}

/** Entry records written to the new cache (each folder's block header counts its own). */
let cacheRecords = 0;

function remember(rel: string, st: Stat, e: EntryMeta): void {
  cache.flushCopies(newCache);
  writeCacheRecord(newCache, rel, st, e);
  cacheRecords++;
}

function emit(op: number, e: EntryMeta, content = 0, data: Buffer | null = null, copyFrom = "", fileId = 0): void {
  writeRecord(batch, op, e, content, data, copyFrom, fileId);
  batchCount++;
  batchEntries++;
  stats.entries++;
  if (op === Op.put) {
    stats.put++;
    isPutPath.add(e.path);
  } else if (op === Op.meta) stats.meta++;
  else stats.keep++;
  flushWhenFull();
}

function keepOrMeta(e: EntryMeta, t: TargetEntry): void {
  emit(isSameMeta(e, t) ? Op.keep : Op.meta, e);
}

/** Sends one regular file's content (or the instruction to copy it on the target). */
function putFile(rel: string, st: Stat, e: EntryMeta, knownHash: Buffer | null, previous?: TargetEntry): void {
  const abs = paths.abs(rel);
  if (e.size <= input.inlineMax) {
    let got = readInline(abs, e.size);
    if (got === undefined) return;
    if (!got) return note("vanished", rel, "vanished during the transfer");
    if (got.isChanged) {
      const again = lstatOrNull(rel);
      if (!again) return note("vanished", rel, "vanished during the transfer");
      got = readInline(abs, again.size);
      if (got === undefined) return;
      if (!got) return note("vanished", rel, "vanished during the transfer");
      Object.assign(e, metaOf(rel, again, EntryType.file));
      if (got.isChanged) e.size = got.data.length;
      note("changed", rel, "changed while it was read; sent as read");
      st = again;
    }
    e.hash = smallFileHash(got.data);
    remember(rel, st, e);
    stats.inlineBytes += got.data.length;
    emit(Op.put, e, Content.inline, got.data);
    return;
  }
  const copySource = knownHash ? byHash().get(knownHash.toString("latin1")) : undefined;
  if (knownHash && copySource !== undefined) {
    e.hash = knownHash;
    remember(rel, st, e);
    stats.copied++;
    emit(Op.put, e, Content.copyFrom, null, copySource);
    return;
  }
  const fileId = nextFileId++;
  remember(rel, st, e);
  stats.chunkedBytes += e.size;
  // Another version on the target, big enough for a delta to win (both ends stream it, whatever its size).
  const isDelta = !!previous && previous.type === EntryType.file && !e.isSparse && previous.size >= DELTA_MIN_BYTES && e.size >= DELTA_MIN_BYTES;
  if (isDelta) stats.deltas++;
  emit(Op.put, e, isDelta ? Content.delta : Content.chunked, null, "", fileId);
  flush({ path: rel, fileId, size: e.size, isSparse: e.isSparse, isDelta });
}

function visitFile(rel: string, st: Stat, e: EntryMeta, force: boolean): void {
  stats.files++;
  stats.bytes += e.size;
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = firstNameOf.get(key);
    if (first !== undefined && first !== rel) {
      stats.hardlinks++;
      e.isHardlink = true;
      e.link = first;
      // Cached as the target will record it: a link to the first name.
      remember(rel, st, e);
      const t = force ? undefined : targetOf(rel);
      // Taken from the cache, the target's record says whether the receiver linked the two
      // names (it checks that they still are at the round's end); from the index, their inodes do.
      const isLinked = !!t && t.type === EntryType.file && (t.ino === CACHED_INO ? t.isHardlink && t.link === first : t.ino === target!.get(first)?.ino);
      if (t && isLinked && !isPutPath.has(first)) keepOrMeta(e, t);
      else emit(Op.put, e);
      return;
    }
    if (first === undefined) firstNameOf.set(key, rel);
  }
  const t = force ? undefined : targetOf(rel);
  let hash = cachedHash(rel, st);
  if (t && t.type === EntryType.file && t.size === e.size && t.hash.length > 0) {
    hash ??= hashFileSync(paths.abs(rel), e.size);
    if (hash && hash.equals(t.hash)) {
      e.hash = hash;
      remember(rel, st, e);
      keepOrMeta(e, t);
      return;
    }
  }
  // A file of this size that the target may hold under another name (renamed or copied).
  if (!hash && e.size > input.inlineMax && target!.size > 0 && byHash().size > 0) hash = hashFileSync(paths.abs(rel), e.size);
  putFile(rel, st, e, hash, t);
}

/**
 * An entry as the cache knows it (so as the last verified send left it) whose target record is
 * that same meta, byte for byte: nothing to decide, read or decode. Files with several names go
 * the long way, which tracks their first name.
 */
function keepIfUnchanged(rel: string, st: Stat, type: EntryTypeCode): boolean {
  if ((type === EntryType.file && st.nlink > 1) || !cache.hit(rel, st)) return false;
  if (!target!.hasRecord(rel, cache.bytes, cache.metaStart, cache.recordEnd)) return false;
  cache.copyHit(newCache);
  cacheRecords++;
  batch.u8(Op.keep);
  batch.str(rel);
  countKept(type, st.size);
  return true;
}

/** The counts of an entry kept as cached (by its own KEEP record or its folder's). */
function countEntry(type: EntryTypeCode, size: number): void {
  if (type === EntryType.file) {
    stats.files++;
    stats.bytes += size;
  } else if (type === EntryType.dir) stats.dirs++;
  else if (type === EntryType.symlink) stats.symlinks++;
  else stats.specials++;
  stats.entries++;
  stats.keep++;
  batchEntries++;
}

/** countEntry for an entry whose KEEP record was just written to the batch. */
function countKept(type: EntryTypeCode, size: number): void {
  countEntry(type, size);
  batchCount++;
  flushWhenFull();
}

function visit(rel: string, st: Stat, type: EntryTypeCode, force: boolean): void {
  if (!force && keepIfUnchanged(rel, st, type)) return;
  decide(rel, st, type, metaOf(rel, st, type), force);
}

function decide(rel: string, st: Stat, type: EntryTypeCode, e: EntryMeta, force: boolean): void {
  if (type === EntryType.file) return visitFile(rel, st, e, force);
  remember(rel, st, e);
  const t = force ? undefined : targetOf(rel);
  if (type === EntryType.dir) stats.dirs++;
  else if (type === EntryType.symlink) stats.symlinks++;
  else stats.specials++;
  const isSameKind = !!t && t.type === type && t.link === e.link && t.rdev === e.rdev;
  if (isSameKind) keepOrMeta(e, t);
  else emit(Op.put, e);
}

function lstatOrNull(rel: string): Stat | null {
  const a = native.lstat(paths.abs(rel));
  if (a) return statAt(a);
  note("vanished", rel, "vanished during the walk");
  return null;
}

/**
 * A folder's listing as scanDir gave it (names, and every child's stat but its access time),
 * reduced to FINGERPRINT_BYTES: XXH64 of the names, then two XXH64s of the stat doubles.
 */
function fingerprint(raw: Buffer, scan: Float64Array): Buffer {
  return Buffer.concat([native.xxh64(raw, 0), native.hash16(new Uint8Array(scan.buffer, scan.byteOffset, scan.byteLength), 0)]);
}

/** The latin1 path of a child: its folder's path and its name's bytes in the listing. */
function childPath(dir: string, raw: Buffer, start: number, end: number): string {
  return joinPath(dir, raw.toString("latin1", start, end));
}

/** A subfolder goes on the walk's stack unless it holds a filesystem whose contents are not copied. */
function pushFolder(stack: { rel: string; dev: number }[], rel: string, st: Stat, dev: number): void {
  const skipped = skippedFsType(st.dev, dev);
  const view = views.get(rel);
  if (skipped) note("skipped", rel, `contents not copied: ${skipped} filesystem (pseudo, memory-backed or shared)`);
  else if (view !== undefined) note("skipped", rel, `contents not copied: a bind mount of ${Buffer.from(view, "latin1").toString()}, copied there`);
  else stack.push({ rel, dev: st.dev });
}

/** The type of the filesystem a folder on device dev (its parent's: parentDev) holds, when its contents are not copied. */
function skippedFsType(dev: number, parentDev: number): string | null {
  if (dev === parentDev) return null;
  const m = mounts.get(devKey(BigInt(dev)));
  return m && SKIPPED_FS_TYPES.has(m.fsType) ? m.fsType : null;
}

/** Listings read before the target's index came (see scanAhead), by folder. */
const scannedAhead = new Map<string, [Buffer, Float64Array]>();
const SCAN_AHEAD_MAX_ENTRIES = 200_000;

/**
 * While the index is on its way (the sender still derives its key and connects), lists the
 * folders the walk will meet first, in its order, so that their system calls are done when it
 * starts. Folders it would not enter are not listed; a folder that cannot be listed is left to
 * the walk, which says why.
 */
function scanAhead(root: string, rootDev: number): void {
  const stack: { rel: string; dev: number }[] = [{ rel: root, dev: rootDev }];
  let entries = 0;
  while (stack.length > 0 && entries < SCAN_AHEAD_MAX_ENTRIES && !takeIndex(false)) {
    const { rel: dir, dev } = stack.pop()!;
    let listing: [Buffer, Float64Array];
    try {
      listing = native.scanDir(paths.abs(dir));
    } catch {
      continue;
    }
    scannedAhead.set(dir, listing);
    const [raw, scan] = listing;
    entries += scan.length / STAT_FIELDS;
    for (let i = 0, start = 0; start < raw.length; i++) {
      const end = raw.indexOf(0, start);
      const o = i * STAT_FIELDS;
      if (typeOfMode(scan[o + ST.mode]!) === EntryType.dir) {
        const rel = childPath(dir, raw, start, end);
        if (!(dir === "" && rel === ".ferry") && !isExcluded(rel, true) && !skippedFsType(scan[o + ST.dev]!, dev) && !views.has(rel)) stack.push({ rel, dev: scan[o + ST.dev]! });
      }
      start = end + 1;
    }
  }
}

function visitOrNote(rel: string, st: Stat, type: EntryTypeCode): boolean {
  try {
    visit(rel, st, type, false);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      note("vanished", rel, "vanished during the walk");
      return false;
    }
    throw error;
  }
}

/**
 * A folder whose children are the ones the last verified send cached for it, in the same order.
 * When its listing has the fingerprint cached with them, no child changed since (every change to
 * a child moves its ctime); otherwise a child whose inode, size, mtime and ctime are its record's
 * did not, and only the others go the long way. An unchanged child's cached record holds its
 * meta. When the target's digest of the folder is the one its block was last found under (or,
 * computed, the XOR of the block's records), the target holds exactly those records, and
 * every child is kept with no string or object made for it; otherwise each is looked up in the
 * target's index, and one it does not hold byte for byte goes the long way. A file with several
 * names has its first name noted, as visitFile does. Returns the target digest every record was
 * found under (for the new block's header), zeros when one was not, or null, with nothing done,
 * when the listing and the cached block do not line up record for record.
 */
function keepFolder(dir: string, raw: Buffer, scan: Float64Array, dev: number, block: CachedBlock, stack: { rel: string; dev: number }[]): Buffer | null {
  const cb = cache.bytes;
  const count = scan.length / STAT_FIELDS;
  const prefix = dir === "" ? 0 : dir.length + 1;
  const nameEnds = new Int32Array(count);
  const recordOf = new Int32Array(count).fill(-1);
  let p = block.start;
  let matched = 0;
  for (let i = 0, start = 0; i < count; i++) {
    const end = raw.indexOf(0, start);
    if (end < 0) return null;
    nameEnds[i] = end;
    const mode = scan[i * STAT_FIELDS + ST.mode]!;
    const isStateFolder = dir === "" && end - start === 6 && raw.toString("latin1", start, end) === ".ferry";
    if (mode !== 0 && typeOfMode(mode) !== 0 && !isStateFolder) {
      const n = end - start;
      if (matched === block.count || u32At(cb, p) !== prefix + n || cb[p + 4] === 0) return null;
      // The same names as when the block was written (their hash begins the fingerprint): the
      // records follow them in order, and their paths need no comparing byte by byte.
      if (!block.isNamesSame) {
        for (let k = 0; k < dir.length; k++) if (cb[p + 4 + k] !== dir.charCodeAt(k)) return null;
        if (prefix > 0 && cb[p + 4 + dir.length] !== 0x2f) return null;
        if (cb.compare(raw, start, end, p + 4 + prefix, p + 4 + prefix + n) !== 0) return null;
      }
      recordOf[i] = p;
      p = cacheRecordEnd(cb, p);
      matched++;
    }
    start = end + 1;
  }
  if (matched !== block.count) return null;
  const targetDigest = target!.digestOf(dir) ?? null;
  // An empty folder is as cached when the target holds nothing in it either.
  let isTargetAsCached = matched === 0 && !targetDigest;
  if (targetDigest && matched > 0) {
    if (block.targetDigest) isTargetAsCached = block.targetDigest.equals(targetDigest);
    else {
      // Not known from the last send: the XOR of the block's records, as encodeTargetIndex makes it.
      const ranges = new Int32Array(matched * 2);
      for (let i = 0, r = 0; i < count; i++) {
        const at = recordOf[i]!;
        if (at < 0) continue;
        ranges[r++] = cacheMetaStart(cb, at);
        ranges[r++] = cacheRecordEnd(cb, at);
      }
      isTargetAsCached = native.xorHash16(cb, ranges, 0).equals(targetDigest);
    }
  }
  if (isTargetAsCached) stats.foldersByDigest++;
  // The target holds exactly the block's records: one KEEP_FOLDER keeps them all, and a child
  // that changed follows with its own record, which replaces its KEEP there.
  const isKeptWhole = isTargetAsCached && matched > 0;
  if (isKeptWhole) {
    writeKeepFolder(batch, dir, targetDigest!);
    batchCount++;
    stats.keptFolders++;
  }
  let isEveryRecordTheTargets = true;
  for (let i = 0, start = 0; i < count; start = nameEnds[i]! + 1, i++) {
    const o = i * STAT_FIELDS;
    const mode = scan[o + ST.mode]!;
    const type = typeOfMode(mode);
    const at = recordOf[i]!;
    if (at < 0) {
      const rel = childPath(dir, raw, start, nameEnds[i]!);
      if (mode === 0) note("vanished", rel, "vanished during the walk");
      else if (type === 0) note("skipped", rel, "socket skipped (a socket is created by the program that listens on it)");
      else note("skipped", rel, "a top-level .ferry folder would collide with the receiver's state folder");
      continue;
    }
    const end = cacheRecordEnd(cb, at);
    const isUnchanged =
      block.isListingSame || cache.isRecordOf(at, scan[o + ST.ino]!, scan[o + ST.size]!, scan[o + ST.mtimeSec]!, scan[o + ST.mtimeNsec]!, scan[o + ST.ctimeSec]!, scan[o + ST.ctimeNsec]!);
    if (!isUnchanged || (!isTargetAsCached && !target!.hasRecordBytes(cb, cacheMetaStart(cb, at), end))) {
      isEveryRecordTheTargets = false;
      const rel = childPath(dir, raw, start, nameEnds[i]!);
      const st = statAt(scan, i);
      // Its cache lookup finds the record where it is, with no table of them all.
      cache.continueAt(at);
      if (isTargetAsCached) targetHint = { rel, metaStart: cacheMetaStart(cb, at) };
      const isVisited = visitOrNote(rel, st, type as EntryTypeCode);
      targetHint = null;
      if (isVisited && type === EntryType.dir) pushFolder(stack, rel, st, dev);
      continue;
    }
    cache.copyRecord(newCache, at, end);
    cacheRecords++;
    // A file with several names: the first met stays the one others link to (see visitFile).
    if (type === EntryType.file && scan[o + ST.nlink]! > 1) {
      const rel = childPath(dir, raw, start, nameEnds[i]!);
      const key = `${scan[o + ST.dev]}:${scan[o + ST.ino]}`;
      const first = firstNameOf.get(key);
      if (first === undefined) firstNameOf.set(key, rel);
      else if (first !== rel) stats.hardlinks++;
    }
    if (isKeptWhole) countEntry(type as EntryTypeCode, scan[o + ST.size]!);
    else {
      batch.u8(Op.keep);
      batch.lengthAndBytes(cb, at + 4, u32At(cb, at));
      countKept(type as EntryTypeCode, scan[o + ST.size]!);
    }
    if (type === EntryType.dir) pushFolder(stack, childPath(dir, raw, start, nameEnds[i]!), statAt(scan, i), dev);
  }
  // The next folder's block is likely next.
  cache.continueAt(p);
  flushWhenFull();
  return isEveryRecordTheTargets && targetDigest ? targetDigest : ZERO_DIGEST;
}

const ZERO_DIGEST = Buffer.alloc(DIGEST_BYTES);

function walk(): void {
  const rootSt = lstatOrNull("");
  if (!rootSt || typeOfMode(rootSt.mode) !== EntryType.dir) throw new Error(`${input.root} is not a directory`);
  // Every folder's records go into the new cache together, after its header (see writeBlockHeader):
  // nothing is decided before the target's index is here.
  scanAhead("", rootSt.dev);
  takeIndex(true);
  visit("", rootSt, EntryType.dir, false);
  const stack: { rel: string; dev: number }[] = [{ rel: "", dev: rootSt.dev }];
  while (stack.length > 0) {
    const { rel: dir, dev } = stack.pop()!;
    let raw: Buffer;
    let scan: Float64Array;
    try {
      const ahead = scannedAhead.get(dir);
      scannedAhead.delete(dir);
      [raw, scan] = ahead ?? native.scanDir(paths.abs(dir));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") note("vanished", dir, "folder vanished during the walk");
      else note("error", dir, `cannot list folder: ${(error as Error).message}`);
      continue;
    }
    const fp = fingerprint(raw, scan);
    cache.flushCopies(newCache);
    const header = writeBlockHeader(newCache, dir, fp);
    const recordsBefore = cacheRecords;
    // With exclusions, which children get a record depends on more than the listing.
    const block = input.excludes.length === 0 ? cache.block(dir, fp) : null;
    const digest = block ? keepFolder(dir, raw, scan, dev, block, stack) : null;
    if (!digest) walkFolder(dir, raw, scan, dev, stack);
    else if (block!.isListingSame) stats.foldersByFingerprint++;
    cache.flushCopies(newCache);
    if (digest) digest.copy(newCache.buf, header.digestAt);
    newCache.buf.writeUInt32LE(cacheRecords - recordsBefore, header.countAt);
  }
  flush();
}

/** Each child of a folder the long way: the cache and the target's index looked up by its path. */
function walkFolder(dir: string, raw: Buffer, scan: Float64Array, dev: number, stack: { rel: string; dev: number }[]): void {
  const names = splitNames(raw);
  for (let i = 0; i < names.length; i++) {
    const rel = joinPath(dir, names[i]!);
    if (dir === "" && rel === ".ferry") {
      note("skipped", rel, "a top-level .ferry folder would collide with the receiver's state folder");
      continue;
    }
    const st = statAt(scan, i);
    if (st.mode === 0) {
      note("vanished", rel, "vanished during the walk");
      continue;
    }
    const type = typeOfMode(st.mode);
    if (isExcluded(rel, type === EntryType.dir)) continue;
    if (type === 0) {
      note("skipped", rel, "socket skipped (a socket is created by the program that listens on it)");
      continue;
    }
    if (visitOrNote(rel, st, type) && type === EntryType.dir) pushFolder(stack, rel, st, dev);
  }
}

function resend(list: string[]): void {
  for (const rel of list) {
    const st = lstatOrNull(rel);
    if (!st) continue;
    const type = typeOfMode(st.mode);
    if (type === 0) continue;
    try {
      visit(rel, st, type, true);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") note("vanished", rel, "vanished before it could be re-sent");
      else throw error;
    }
  }
  flush();
}

parentPort!.on("message", (m: { t: "start" } | { t: "resend"; paths: string[] }) => {
  try {
    if (m.t === "start") {
      trace("start");
      walk();
      trace(`done (${stats.foldersByFingerprint} folders decided from their listing's fingerprint, ${stats.foldersByDigest} of them by the target's digest)`);
      cache.flushCopies(newCache);
      const c = newCache.result();
      post({ t: "done", stats, cache: c.buffer.slice(c.byteOffset, c.byteOffset + c.length) as ArrayBuffer });
    } else {
      resend(m.paths);
      post({ t: "resent" });
    }
  } catch (error) {
    post({ t: "failed", message: (error as Error).stack ?? String(error) });
  }
});
