/**
 * The receiver's writer, on a worker thread with synchronous calls (no thread-pool round trip per
 * file): applies records in order, writes every file under a temporary name in its folder and
 * renames it into place only once its content and metadata are complete, keeps the manifest,
 * and at the end of a round checks the whole target against what the source sent.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import zlib from "node:zlib";
import { crc32 } from "../frames";
import {
  BufReader,
  Content,
  decodeXattrs,
  displayPath,
  encodeXattrs,
  EntryType,
  isSafeRelativePath,
  isSameMeta,
  joinPath,
  Op,
  parentOf,
  readRecord,
  toPathBuffer,
  type EntryMeta,
  type Record,
  type TargetFacts,
} from "./entry-codec";
import { compileExcludes } from "./exclude-glob";
import type { ConsistencyReport, TransferNote } from "./file-frames";
import { DeltaOp, deltaBlockBytes, signatureOfFile } from "./delta";
import { CELL_BYTES, cellHash, fileHashFromCells, smallFileHash } from "./file-hash";
import { ManifestLog, type ManifestEntry } from "./manifest-log";
import { encodeTargetIndex, type TargetFolder } from "./walk-index";
import { splitNames, statAt, typeOfMode, type Stat } from "./fast-stat";
import { loadNativeFs, WRITE_CHOWN, WRITE_SPARSE } from "./native/native-fs";
import { TreePaths } from "./tree-paths";
import type { HelperJob, HelperResult } from "./write-helper";
import type { WriterInput, WriterRequest, WriterReply, WriterSession } from "./write-protocol";

const input = workerData as WriterInput;
/** FERRY_TRACE=1: phase times on stderr (milliseconds since the receiver started), for tuning. */
const trace = process.env.FERRY_TRACE ? (what: string) => process.stderr.write(`trace write ${(performance.timeOrigin + performance.now() - (input.traceOrigin ?? performance.timeOrigin)).toFixed(0)} ${what}\n`) : () => undefined;
const native = loadNativeFs();
const isRoot = process.getuid?.() === 0;
const outLatin1 = Buffer.from(input.outDir, "utf8").toString("latin1");
if (input.isSpare && !fs.existsSync(path.join(input.outDir, ".ferry", "files"))) throw new Error(`${input.outDir} holds no manifest now`);
fs.mkdirSync(input.outDir, { recursive: true });
const paths = new TreePaths(outLatin1);
const stateDir = path.join(input.outDir, ".ferry", "files");
const manifest = ManifestLog.open(stateDir);
const outFd = fs.openSync(input.outDir, "r");
let session: WriterSession = { isSync: false, excludes: [], sourceLabel: "" };
let isExcluded = compileExcludes([]);
const TEMP_PREFIX = ".~ferry-";
const TEMP_RE = /^\.~ferry-[0-9a-f]{8}-\d+$/;
const tag = crypto.randomBytes(4).toString("hex");
let tempCounter = 0;

const CHECKPOINT_RECORDS = 50_000;
const CHECKPOINT_BYTES = input.checkpointBytes ?? 1024 * 1024 * 1024;
const CHECKPOINT_MS = 30_000;
let bytesSinceCheckpoint = 0;
let lastCheckpoint = Date.now();

const source = new Map<string, EntryMeta>();
const dirsToApply = new Set<string>();
const knownDirs = new Set<string>([""]);
const resend = new Set<string>();
/** Entries that cannot be made here (device nodes without root): reported, not re-requested. */
const unfixable = new Set<string>();
const notes: TransferNote[] = [];
const namesOfInode = new Map<number, Set<string>>();
/** Entries this session created or changed: the check at the end reads them back in full. */
const writtenThisSession = new Set<string>();
/**
 * Kept entries whose target stat had the manifest's facts when their record arrived, by the
 * stat object then in targetNow: one still there (nothing this session wrote replaced it) needs
 * no check at the round's end.
 */
const provenOnArrival = new Map<string, Stat>();
/**
 * Every entry of the target as it is now: walked when the session starts, then kept current;
 * children of a proven folder only once this session touches or reads them (see statOf).
 */
let targetNow: Map<string, Stat> | null = null;
/**
 * Folders whose listing the walk found to be exactly the children the manifest records there,
 * with the recorded inodes and ctimes (the addon's childFacts against the index's): each child is
 * as its record says, and no object is made for it.
 */
const provenFolders = new Set<string>();
/** Paths removeTree took away this session: a proven folder's child no longer there. */
const removedThisSession = new Set<string>();
/** Kept entries of proven folders: proven on arrival like provenOnArrival while targetNow lacks them. */
const provenKept = new Set<string>();
/**
 * Proven folders a KEEP_FOLDER kept: every child the index showed there is in the source as its
 * manifest record says, without an entry in `source` (only its folders and hard links have one).
 * A child named by a record of its own is in `source` too, and that record counts.
 */
const wholeFolders = new Map<string, TargetFolder>();
/** Folders with a child this session named in a record, wrote or removed: their children are looked at one by one. */
const touchedFolders = new Set<string>();

function touch(rel: string): void {
  // Only a proven folder can be kept whole (a full copy proves none: nothing to track).
  if (rel !== "" && provenFolders.size > 0) touchedFolders.add(parentOf(rel));
}

/** Whether rel is in the source as a child of a folder kept whole. */
function isKeptWhole(rel: string): boolean {
  return rel !== "" && !!wholeFolders.get(parentOf(rel))?.paths.includes(rel);
}
interface OpenFile {
  fd: number;
  tmp: string;
  meta: EntryMeta;
  /** A delta's base: the target's previous copy, read for COPY pieces. */
  base?: { fd: number; blockBytes: number };
  /** Where the next delta piece goes. */
  outPos: number;
}
const openLarge = new Map<number, OpenFile>();
let hasOwnerNote = false;
let bytesWritten = 0;
let entriesWritten = 0;

function reply(m: WriterReply, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(m, transfer);
}

function note(kind: string, p: string, text: string): void {
  if (notes.length < 10_000) notes.push({ kind, path: displayPath(p), text });
}

const isDir = (st: Stat) => typeOfMode(st.mode) === EntryType.dir;

function factsOf(st: Stat): TargetFacts {
  return { ino: st.ino, ctimeSec: st.ctimeSec, ctimeNsec: st.ctimeNsec };
}

function isSameFacts(f: TargetFacts, st: Stat): boolean {
  return f.ino === st.ino && f.ctimeSec === st.ctimeSec && f.ctimeNsec === st.ctimeNsec;
}

/**
 * True when the target folder or the manifest at its path is not the one this writer opened: a
 * writer kept ready between sessions must not write into a folder that was removed or replaced.
 */
function isStale(): boolean {
  const open = fs.fstatSync(outFd);
  const now = fs.statSync(input.outDir, { throwIfNoEntry: false });
  return !now || now.ino !== open.ino || now.dev !== open.dev || !manifest.isAtItsPath();
}

function lstatOrNull(rel: string): Stat | null {
  const a = native.lstat(paths.abs(rel));
  return a ? statAt(a) : null;
}

/**
 * Every entry of the target folder but our state folder; leftover temporary files are removed.
 * With canProve (the walk right after the index was made from the manifest), a folder whose
 * children are exactly the manifest's there, inodes and ctimes alike, goes in provenFolders
 * instead, its children not in the map.
 */
function walkTarget(canProve: boolean): Map<string, Stat> {
  const found = new Map<string, Stat>();
  found.set("", lstatOrNull("")!);
  const stack = [""];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names: string[];
    let stats: Float64Array;
    try {
      const [raw, st] = native.scanDir(paths.abs(dir));
      const held = canProve ? indexFolders.get(dir) : undefined;
      if (held && held.facts.equals(native.childFacts(raw, st))) {
        provenFolders.add(dir);
        for (const p of held.specials) if (manifest.entries.get(p)!.meta.type === EntryType.dir) stack.push(p);
        continue;
      }
      names = splitNames(raw);
      stats = st;
    } catch {
      continue;
    }
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const rel = joinPath(dir, name);
      if (dir === "" && name === ".ferry") continue;
      if (name.startsWith(TEMP_PREFIX) && TEMP_RE.test(name)) {
        fs.rmSync(paths.abs(rel), { force: true, recursive: true });
        continue;
      }
      const st = statAt(stats, i);
      if (st.mode === 0) continue;
      found.set(rel, st);
      if (isDir(st)) stack.push(rel);
    }
  }
  return found;
}

function forgetDirs(rel: string): void {
  paths.forget(rel);
  for (const d of knownDirs) if (d === rel || d.startsWith(`${rel}/`)) knownDirs.delete(d);
}

function removeTree(rel: string): void {
  const abs = paths.abs(rel);
  const st = lstatOrNull(rel);
  targetNow?.delete(rel);
  removedThisSession.add(rel);
  touch(rel);
  if (!st) return;
  if (isDir(st)) {
    for (const n of fs.readdirSync(abs, { encoding: "buffer" })) removeTree(joinPath(rel, n.toString("latin1")));
    fs.rmdirSync(paths.abs(rel));
    forgetDirs(rel);
  } else fs.unlinkSync(abs);
}

/** The parent must be a real folder (never a symlink), so a record cannot write outside OUT. */
function ensureParent(rel: string): void {
  const parent = parentOf(rel);
  if (knownDirs.has(parent)) return;
  ensureParent(parent);
  const st = lstatOrNull(parent);
  if (!st || !isDir(st)) throw Object.assign(new Error(`parent folder ${displayPath(parent)} is missing`), { code: "ENOPARENT" });
  knownDirs.add(parent);
}

function tempFor(rel: string): string {
  return joinPath(parentOf(rel), `${TEMP_PREFIX}${tag}-${tempCounter++}`);
}

function chownIfAllowed(rel: string, abs: Buffer, meta: EntryMeta, fd: number | null): void {
  try {
    if (fd !== null) fs.fchownSync(fd, meta.uid, meta.gid);
    else fs.lchownSync(abs, meta.uid, meta.gid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM" || isRoot) throw error;
    if (!hasOwnerNote) note("skipped", "", "owners not kept: the receiver does not run as root");
    hasOwnerNote = true;
  }
}

function setXattrs(rel: string, abs: Buffer, meta: EntryMeta, isNew: boolean): void {
  const wanted = decodeXattrs(meta.xattrs);
  if (!isNew) {
    const names = new Set(wanted.map(([k]) => k.toString("latin1")));
    for (const [k] of native.listXattrs(abs)) if (!names.has(k.toString("latin1"))) native.removeXattr(abs, k);
  }
  for (const [k, v] of wanted) {
    try {
      native.setXattr(abs, k, v);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPERM" || code === "ENOTSUP" || code === "EACCES") note("error", rel, `extended attribute ${k.toString("latin1")} not set: ${code}`);
      else throw error;
    }
  }
}

const defaultAclOf = new Map<string, boolean>();

/** A folder with a default ACL gives it to what is created in it: such entries need their xattrs diffed. */
function hasDefaultAcl(dir: string): boolean {
  let has = defaultAclOf.get(dir);
  if (has === undefined) {
    has = native.listXattrs(paths.abs(dir)).some(([k]) => k.toString("latin1") === "system.posix_acl_default");
    defaultAclOf.set(dir, has);
  }
  return has;
}

/** Owner, then mode (chown clears setuid), then xattrs (ACLs), then times (every call above moves them). */
function applyMeta(rel: string, abs: Buffer, meta: EntryMeta, fd: number | null, isNew: boolean): void {
  if (isNew && rel !== "" && hasDefaultAcl(parentOf(rel))) isNew = false;
  chownIfAllowed(rel, abs, meta, fd);
  if (meta.type !== EntryType.symlink) {
    if (fd !== null) fs.fchmodSync(fd, meta.mode);
    else fs.chmodSync(abs, meta.mode);
  }
  if (meta.xattrs.length > 0 || !isNew) setXattrs(rel, abs, meta, isNew);
  if (fd !== null) native.utimens(null, fd, meta.mtimeSec, meta.mtimeNsec);
  else native.utimens(abs, -1, meta.mtimeSec, meta.mtimeNsec);
}

/** Puts a complete temporary entry in place of whatever is at rel, then records it. */
function commit(tmp: string, rel: string, meta: EntryMeta): void {
  const abs = paths.abs(rel);
  try {
    fs.renameSync(paths.abs(tmp), abs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOTDIR") throw error;
    removeTree(rel);
    fs.renameSync(paths.abs(tmp), paths.abs(rel));
  }
  record(rel, meta);
}

/** isProven: the caller checked the entry against its stat already (see the small-file path). */
function record(rel: string, meta: EntryMeta, known?: Stat, isProven = false): void {
  const st = known ?? lstatOrNull(rel);
  if (!st) throw Object.assign(new Error(`${displayPath(rel)} vanished from the target`), { code: "ENOENT" });
  manifest.put(meta, factsOf(st));
  targetNow?.set(rel, st);
  touch(rel);
  if (!isProven) writtenThisSession.add(rel);
  entriesWritten++;
  if (st.nlink > 1 && typeOfMode(st.mode) === EntryType.file) {
    // A new name or new metadata moved the inode's ctime: refresh its other names' records.
    const ino = st.ino;
    const names = namesOfInode.get(ino) ?? new Set<string>();
    if (meta.isHardlink) names.add(meta.link);
    for (const other of names) {
      const m = manifest.entries.get(other);
      const ost = other === rel ? null : lstatOrNull(other);
      if (m && ost && ost.ino === ino) {
        manifest.put(m.meta, factsOf(ost));
        targetNow?.set(other, ost);
        touch(other);
      }
    }
    names.add(rel);
    namesOfInode.set(ino, names);
  }
  maybeCheckpoint();
}

function checkpoint(): void {
  native.syncfs(outFd);
  manifest.flush();
  bytesSinceCheckpoint = 0;
  lastCheckpoint = Date.now();
}

function maybeCheckpoint(): void {
  if (manifest.pendingRecords >= CHECKPOINT_RECORDS || bytesSinceCheckpoint >= CHECKPOINT_BYTES || Date.now() - lastCheckpoint >= CHECKPOINT_MS) checkpoint();
}

const ZERO_BLOCK = Buffer.alloc(4096);

function writeAll(fd: number, data: Buffer, position: number, isSparse: boolean): void {
  if (!isSparse) {
    let done = 0;
    while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, position + done);
    return;
  }
  // Runs of zero blocks stay holes (the file was sized with ftruncate first).
  let o = 0;
  while (o < data.length) {
    const end = Math.min(o + 4096, data.length);
    if (data.subarray(o, end).equals(ZERO_BLOCK.subarray(0, end - o))) {
      o = end;
      continue;
    }
    let runEnd = end;
    while (runEnd < data.length) {
      const next = Math.min(runEnd + 4096, data.length);
      if (data.subarray(runEnd, next).equals(ZERO_BLOCK.subarray(0, next - runEnd))) break;
      runEnd = next;
    }
    let done = o;
    while (done < runEnd) done += fs.writeSync(fd, data, done, runEnd - done, position + done);
    o = runEnd;
  }
}

function openTemp(rel: string, tmp: string): number {
  return fs.openSync(paths.abs(tmp), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
}

/**
 * The stat of a small file made in one call proves mode, owner, time and size; it was created
 * with no xattrs in a folder with no default ACL, and its bytes were hashed before, so the check
 * at the end can rely on its manifest record while its ctime stays as recorded.
 */
function recordSmall(r: Record, s: Stat): void {
  bytesWritten += r.size;
  bytesSinceCheckpoint += r.size;
  const isRight =
    (s.mode & 0o7777) === r.mode && s.size === r.size && s.mtimeSec === r.mtimeSec && s.mtimeNsec === r.mtimeNsec && (!isRoot || (s.uid === r.uid && s.gid === r.gid));
  record(r.path, r, s, isRight);
}

// The small-file helper thread (write-helper.ts): jobs out in groups, results read synchronously.
const helperPort = input.helperPort ?? null;
const helperDone = input.helperDone ? new Int32Array(input.helperDone) : null;
const pendingJobs = new Map<number, Record>();
/** Paths the helper is making: only a record that names one of them must wait for it. */
const pendingPaths = new Map<string, number>();
let jobs: HelperJob[] = [];
let nextJobId = 1;
let turn = 0;

/** Hands the queued jobs over with their files' bytes packed into one buffer that moves (no copy in the message). */
function postJobs(): void {
  if (jobs.length === 0) return;
  const packed = new Uint8Array(jobs.reduce((n, j) => n + j.data.length, 0));
  let o = 0;
  for (const j of jobs) {
    packed.set(j.data, o);
    j.data = packed.subarray(o, o + j.data.length);
    o += j.data.length;
  }
  helperPort!.postMessage(jobs, [packed.buffer]);
  jobs = [];
}

/** Takes the helper's results; with isAll, waits until every job handed to it is done. */
function collectHelper(isAll: boolean): void {
  if (!helperPort) return;
  postJobs();
  for (;;) {
    for (let m = receiveMessageOnPort(helperPort); m; m = receiveMessageOnPort(helperPort)) for (const res of m.message as HelperResult[]) onHelperResult(res);
    if (!isAll || pendingJobs.size === 0) return;
    Atomics.wait(helperDone!, 0, Atomics.load(helperDone!, 0), 50);
  }
}

function onHelperResult(res: HelperResult): void {
  const r = pendingJobs.get(res.id);
  if (!r) return;
  pendingJobs.delete(res.id);
  const left = pendingPaths.get(r.path)! - 1;
  if (left > 0) pendingPaths.set(r.path, left);
  else pendingPaths.delete(r.path);
  try {
    if (res.stat) return recordSmall(r, statAt(res.stat));
    if (res.code === "EHASH") {
      resend.add(r.path);
      note("error", r.path, res.message);
      return;
    }
    if (res.code === "ENOSPC" || res.code === "EDQUOT" || res.code === "EROFS" || res.code === "EIO") throw Object.assign(new Error(res.message), { code: res.code });
    if (res.code === "EISDIR" || res.code === "ENOTEMPTY" || res.code === "EEXIST" || res.code === "ENOTDIR") {
      // Something else stands at the name: this thread replaces it (a rare path).
      removeTree(r.path);
      const flags = (r.isSparse ? WRITE_SPARSE : 0) | (isRoot ? WRITE_CHOWN : 0);
      const data = Buffer.from(res.data.buffer, res.data.byteOffset, res.data.byteLength);
      return recordSmall(r, statAt(native.writeFile(paths.abs(tempFor(r.path)), paths.abs(r.path), data, r.size, r.mode, r.uid, r.gid, r.mtimeSec, r.mtimeNsec, flags)));
    }
    note("error", r.path, res.message);
    resend.add(r.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT" || code === "EROFS" || code === "EIO") throw error;
    note("error", r.path, (error as Error).message);
    resend.add(r.path);
  }
}

function putFile(r: Record): void {
  const rel = r.path;
  const tmp = tempFor(rel);
  if (r.isHardlink) {
    const target = lstatOrNull(rel);
    const first = lstatOrNull(r.link);
    if (!first || typeOfMode(first.mode) !== EntryType.file) throw Object.assign(new Error(`hard link target ${displayPath(r.link)} is missing`), { code: "ENOLINKTARGET" });
    if (target && target.ino === first.ino) return record(rel, r);
    fs.linkSync(paths.abs(r.link), paths.abs(tmp));
    return commit(tmp, rel, r);
  }
  if (r.content === Content.copyFrom) {
    const from = manifest.entries.get(r.copyFrom);
    const fst = lstatOrNull(r.copyFrom);
    if (!from || !fst || !isSameFacts(from.facts, fst) || !from.meta.hash.equals(r.hash)) {
      resend.add(rel);
      return;
    }
    fs.copyFileSync(paths.abs(r.copyFrom), paths.abs(tmp), fs.constants.COPYFILE_FICLONE);
    const fd = fs.openSync(paths.abs(tmp), fs.constants.O_RDWR | fs.constants.O_NOFOLLOW);
    try {
      applyMeta(rel, paths.abs(tmp), r, fd, true);
    } finally {
      fs.closeSync(fd);
    }
    return commit(tmp, rel, r);
  }
  const data = r.data ?? Buffer.alloc(0);
  const canChown = isRoot || (r.uid === process.getuid?.() && r.gid === process.getgid?.());
  if (r.content === Content.inline && r.xattrs.length === 0 && canChown && !hasDefaultAcl(parentOf(rel))) {
    const flags = (r.isSparse ? WRITE_SPARSE : 0) | (isRoot ? WRITE_CHOWN : 0);
    if (helperPort && turn++ % 2 === 1 && pendingJobs.size < 1024 && outLatin1.length + rel.length < 3000) {
      jobs.push({
        id: nextJobId,
        tmp: `${outLatin1}/${tmp}`,
        final: `${outLatin1}/${rel}`,
        data,
        hash: r.hash.toString("latin1"),
        size: r.size,
        mode: r.mode,
        uid: r.uid,
        gid: r.gid,
        mtimeSec: r.mtimeSec,
        mtimeNsec: r.mtimeNsec,
        flags,
      });
      pendingJobs.set(nextJobId++, r);
      pendingPaths.set(rel, (pendingPaths.get(rel) ?? 0) + 1);
      if (jobs.length >= 64) postJobs();
      return;
    }
    if (!smallFileHash(data).equals(r.hash)) {
      resend.add(rel);
      note("error", rel, "content hash of the received bytes does not match the sender's");
      return;
    }
    // One call for create, write, owner, mode, time and rename (see ferry-fs-source.ts).
    let st: Float64Array;
    try {
      st = native.writeFile(paths.abs(tmp), paths.abs(rel), data, r.size, r.mode, r.uid, r.gid, r.mtimeSec, r.mtimeNsec, flags);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EISDIR" && code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOTDIR") throw error;
      removeTree(rel);
      st = native.writeFile(paths.abs(tmp), paths.abs(rel), data, r.size, r.mode, r.uid, r.gid, r.mtimeSec, r.mtimeNsec, flags);
    }
    recordSmall(r, statAt(st));
    return;
  }
  const fd = openTemp(rel, tmp);
  if (r.content === Content.delta) {
    const base = openDeltaBase(rel, r);
    reply({ t: "signature", fileId: r.fileId, signature: base?.signature ?? null });
    if (base) {
      openLarge.set(r.fileId, { fd, tmp, meta: r, base: { fd: base.fd, blockBytes: base.blockBytes }, outPos: 0 });
      return;
    }
  }
  if (r.content === Content.chunked || r.content === Content.delta) {
    if (r.size > 0) fs.ftruncateSync(fd, r.size);
    openLarge.set(r.fileId, { fd, tmp, meta: r, outPos: 0 });
    return;
  }
  try {
    if (!smallFileHash(data).equals(r.hash)) {
      resend.add(rel);
      note("error", rel, "content hash of the received bytes does not match the sender's");
      fs.closeSync(fd);
      fs.unlinkSync(paths.abs(tmp));
      return;
    }
    if (r.isSparse) fs.ftruncateSync(fd, r.size);
    writeAll(fd, data, 0, r.isSparse);
    bytesWritten += data.length;
    bytesSinceCheckpoint += data.length;
    applyMeta(rel, paths.abs(tmp), r, fd, true);
  } finally {
    fs.closeSync(fd);
  }
  commit(tmp, rel, r);
}

function putOther(r: Record): void {
  const rel = r.path;
  if (r.type === EntryType.dir) {
    const st = lstatOrNull(rel);
    if (st && !isDir(st)) removeTree(rel);
    if (!st || !isDir(st)) {
      if (rel === "") fs.mkdirSync(paths.abs(rel), { recursive: true });
      else fs.mkdirSync(paths.abs(rel), 0o700);
      defaultAclOf.delete(rel);
    }
    knownDirs.add(rel);
    dirsToApply.add(rel);
    return;
  }
  const tmp = tempFor(rel);
  const tmpAbs = paths.abs(tmp);
  if (r.type === EntryType.symlink) fs.symlinkSync(toPathBuffer(r.link), tmpAbs);
  else {
    const typeBits = r.type === EntryType.chr ? fs.constants.S_IFCHR : r.type === EntryType.blk ? fs.constants.S_IFBLK : fs.constants.S_IFIFO;
    try {
      native.mknod(tmpAbs, typeBits | (r.mode & 0o777), r.rdev);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EPERM") {
        unfixable.add(rel);
        note("skipped", rel, "device node not created: the receiver does not run as root");
        return;
      }
      throw error;
    }
  }
  applyMeta(rel, tmpAbs, r, null, true);
  commit(tmp, rel, r);
}

function isInProvenFolder(rel: string): boolean {
  return rel !== "" && provenFolders.has(parentOf(rel));
}

/** The target's stat of rel now: as walked and kept current, or read once asked for in a proven folder. */
function statOf(rel: string): Stat | undefined {
  const known = targetNow?.get(rel);
  if (known || !targetNow || removedThisSession.has(rel) || !isInProvenFolder(rel)) return known;
  // Read, not changed: its folder's proof still holds (see touch).
  const st = lstatOrNull(rel);
  if (st) targetNow.set(rel, st);
  return st ?? undefined;
}

/** The source holds rel as the manifest's entry m holds it (a KEEP). */
function keep(rel: string, m: ManifestEntry | undefined, isInProven = isInProvenFolder(rel)): void {
  if (!m) {
    resend.add(rel);
    return;
  }
  source.set(rel, m.meta);
  // Checked now, while the sender still walks, rather than in the round's end (see finishRound).
  const st = targetNow?.get(rel);
  const isPlain = m.meta.type !== EntryType.dir && !m.meta.isHardlink;
  if (st) {
    if (isPlain && typeOfMode(st.mode) === m.meta.type && isSameFacts(m.facts, st)) provenOnArrival.set(rel, st);
  } else if (isPlain && isInProven && !removedThisSession.has(rel)) provenKept.add(rel);
  if (m.meta.type === EntryType.dir) knownDirs.add(rel);
  if (m.meta.type === EntryType.file && m.meta.isHardlink) {
    const st = lstatOrNull(rel);
    if (st) namesOfInode.set(st.ino, (namesOfInode.get(st.ino) ?? new Set()).add(rel));
  }
}

/**
 * A KEEP for each child the index sent this session showed in dir, when the sender names dir's
 * digest in that index: anything else is a sender that does not follow the protocol.
 */
function keepFolder(dir: string, digest: Buffer): void {
  const f = indexFolders.get(dir);
  if (!f || !f.digest.equals(digest)) throw new Error(`the sender kept folder ${JSON.stringify(displayPath(dir))} as a target index this receiver did not send showed it`);
  if (provenFolders.has(dir) && !wholeFolders.has(dir)) {
    wholeFolders.set(dir, f);
    for (const rel of f.specials) keep(rel, manifest.entries.get(rel), true);
    return;
  }
  const isInProven = provenFolders.has(dir);
  for (const rel of f.paths) keep(rel, manifest.entries.get(rel), isInProven);
}

function applyRecord(r: ReturnType<typeof readRecord>): void {
  const rel = r.path;
  if (r.op === Op.keepFolder) return keepFolder(rel, r.digest);
  // A kept path the manifest holds was checked when it was first written.
  const kept = r.op === Op.keep ? manifest.entries.get(rel) : undefined;
  if (!kept && !isSafeRelativePath(rel)) throw new Error(`unsafe path from the sender: ${JSON.stringify(displayPath(rel))}`);
  touch(rel);
  if (r.op === Op.keep) return keep(rel, kept);
  source.set(rel, r);
  try {
    if (rel !== "") ensureParent(rel);
    // A link, a copy, a metadata change or a streamed file may name a file the helper is still making.
    if (pendingPaths.size > 0 && (r.op === Op.meta || r.isHardlink || r.content === Content.copyFrom || r.content === Content.chunked)) {
      if (pendingPaths.has(rel) || (r.isHardlink && pendingPaths.has(r.link)) || (r.content === Content.copyFrom && pendingPaths.has(r.copyFrom))) collectHelper(true);
    }
    if (r.op === Op.meta) {
      if (r.type === EntryType.dir) {
        knownDirs.add(rel);
        dirsToApply.add(rel);
        return;
      }
      applyMeta(rel, paths.abs(rel), r, null, false);
      record(rel, r);
      return;
    }
    if (r.type === EntryType.file) putFile(r);
    else putOther(r);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT" || code === "EROFS" || code === "EIO") throw error;
    note("error", rel, (error as Error).message);
    resend.add(rel);
  } finally {
    // The record stays as the source's entry; its bytes (a view of the whole batch) must not.
    r.data = null;
  }
}

function applyBatch(payload: Buffer, flags: number, rawLength: number, checksum: number): void {
  const raw = flags & 1 ? zlib.inflateRawSync(payload) : payload;
  if (raw.length !== rawLength || crc32([raw]) !== checksum) {
    // Its entries show up as missing at the end of the round and are sent again.
    note("error", "", "a damaged batch frame was dropped");
    return;
  }
  const reader = new BufReader(raw);
  while (!reader.isDone) applyRecord(readRecord(reader));
  collectHelper(false);
}

function onChunk(fileId: number, offset: number, data: Buffer): void {
  const f = openLarge.get(fileId);
  if (!f) return;
  writeAll(f.fd, data, offset, f.meta.isSparse);
  bytesWritten += data.length;
  bytesSinceCheckpoint += data.length;
}

/** The hash is the receiver's, of the bytes it got; isOk says the sender's agrees. */
/**
 * The target's current copy of a file coming as a delta, and its signature (read sequentially,
 * a few MiB at a time, whatever the copy's size); null when there is none.
 */
function openDeltaBase(rel: string, r: Record): { fd: number; blockBytes: number; signature: Buffer } | null {
  let fd: number;
  try {
    fd = fs.openSync(paths.abs(rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    return null;
  }
  // Sized for the larger version, so that neither the signature nor the sender's table of it grows past its bound.
  const blockBytes = deltaBlockBytes(Math.max(r.size, st.size));
  return { fd, blockBytes, signature: signatureOfFile((buf, position) => fs.readSync(fd, buf, 0, buf.length, position), st.size, blockBytes) };
}

/** Reads buf.length bytes at position, fewer only at the end of the file. */
function readFullAt(fd: number, buf: Buffer, position: number): number {
  let n = 0;
  while (n < buf.length) {
    const k = fs.readSync(fd, buf, n, buf.length - n, position + n);
    if (k === 0) break;
    n += k;
  }
  return n;
}

function onDelta(fileId: number, ops: Buffer): void {
  const f = openLarge.get(fileId);
  if (!f?.base) return;
  const r = new BufReader(ops);
  const block = Buffer.allocUnsafe(f.base.blockBytes);
  while (!r.isDone) {
    const op = r.u8();
    let piece: Buffer;
    if (op === DeltaOp.copy) piece = block.subarray(0, readFullAt(f.base.fd, block, r.u32() * f.base.blockBytes));
    else piece = r.bytes();
    writeAll(f.fd, piece, f.outPos, false);
    f.outPos += piece.length;
    bytesSinceCheckpoint += piece.length;
  }
  bytesWritten += ops.length;
}

/** The content hash of a file as it lies on disk (what a delta rebuilt). */
function hashOnDisk(rel: string, size: number): Buffer {
  const fd = fs.openSync(paths.abs(rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const cells: Buffer[] = [];
    const buf = Buffer.allocUnsafe(Math.min(Math.max(size, 1), CELL_BYTES));
    for (let i = 0; i * CELL_BYTES < Math.max(size, 1); i++) {
      const len = Math.min(CELL_BYTES, size - i * CELL_BYTES);
      let n = 0;
      while (n < len) {
        const k = fs.readSync(fd, buf, n, len - n, i * CELL_BYTES + n);
        if (k === 0) break;
        n += k;
      }
      if (size <= CELL_BYTES) return smallFileHash(buf.subarray(0, n));
      cells.push(cellHash(buf.subarray(0, n)));
    }
    return fileHashFromCells(size, cells);
  } finally {
    fs.closeSync(fd);
  }
}

function onFileEnd(fileId: number, isOk: boolean, isVanished: boolean, hash: Buffer, expectedHash?: string): void {
  const f = openLarge.get(fileId);
  if (!f) return;
  openLarge.delete(fileId);
  const rel = f.meta.path;
  if (f.base) {
    fs.closeSync(f.base.fd);
    if (isOk && !isVanished) {
      fs.ftruncateSync(f.fd, f.outPos);
      hash = hashOnDisk(f.tmp, f.outPos);
      isOk = hash.toString("hex") === expectedHash && f.outPos === f.meta.size;
    }
  }
  if (!isOk || isVanished) {
    fs.closeSync(f.fd);
    fs.unlinkSync(paths.abs(f.tmp));
    if (isVanished) source.delete(rel);
    else {
      note("error", rel, "content hash of the received bytes does not match the sender's");
      resend.add(rel);
    }
    return;
  }
  f.meta.hash = hash;
  source.set(rel, f.meta);
  try {
    applyMeta(rel, paths.abs(f.tmp), f.meta, f.fd, true);
  } finally {
    fs.closeSync(f.fd);
  }
  commit(f.tmp, rel, f.meta);
}

/**
 * What the manifest says the target holds, sent as it is: the sender starts deciding at once,
 * while nothing here walks the target. An entry changed behind the manifest's back (its ctime
 * moved) fails the check at the end of the round and is sent again.
 */
function buildIndex(): ArrayBuffer {
  indexFolders = new Map();
  const out = encodeTargetIndex(manifest.entries.values(), native.hash16, indexFolders);
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.length) as ArrayBuffer;
}

function isUnderExcluded(rel: string, isDir: boolean): boolean {
  if (isExcluded(rel, isDir)) return true;
  for (let p = parentOf(rel); p !== ""; p = parentOf(p)) if (isExcluded(p, true)) return true;
  return false;
}

function finishRound(round: number, senderNotes: TransferNote[]): { report: ConsistencyReport; resend: string[] } {
  collectHelper(true);
  for (const [id, f] of openLarge) {
    fs.closeSync(f.fd);
    if (f.base) fs.closeSync(f.base.fd);
    fs.rmSync(paths.abs(f.tmp), { force: true });
    resend.add(f.meta.path);
    openLarge.delete(id);
  }
  // The walk made at the start of the session, kept up to date with every change made since.
  targetNow ??= walkTarget(false);
  const now = targetNow;
  // What the target holds and the source does not (excluded paths aside), found in one pass.
  const extraPaths: string[] = [];
  for (const [p, st] of now) if (!source.has(p) && !isUnderExcluded(p, isDir(st)) && !isKeptWhole(p)) extraPaths.push(p);
  // A proven folder's children that targetNow lacks are as the index showed them, unless removed;
  // a folder kept whole keeps every one of them.
  for (const dir of provenFolders) {
    if (wholeFolders.has(dir)) continue;
    for (const p of indexFolders.get(dir)!.paths) {
      if (source.has(p) || now.has(p) || removedThisSession.has(p)) continue;
      const st = statOf(p);
      if (st && !isUnderExcluded(p, isDir(st))) extraPaths.push(p);
    }
  }
  let deleted = 0;
  const deletedPaths = new Set<string>();
  if (session.isSync) {
    const extras = extraPaths.filter((p) => p !== "").sort();
    let removedDir: string | null = null;
    for (const p of extras) {
      if (removedDir !== null && p.startsWith(`${removedDir}/`)) continue;
      const wasDir = isDir(now.get(p)!);
      removeTree(p);
      deleted++;
      deletedPaths.add(p);
      if (wasDir) removedDir = p;
    }
    const gone: string[] = [];
    // Every entry the manifest gained this session is in the source: the others are the index's.
    for (const [dir, f] of indexFolders) if (!wholeFolders.has(dir)) for (const p of f.paths) if (!source.has(p) && manifest.entries.has(p)) gone.push(p);
    for (const p of gone) manifest.delete(p);
  }
  // Folders last and deepest first: writing inside a folder moves its times.
  const dirs: EntryMeta[] = [];
  for (const e of source.values()) if (e.type === EntryType.dir) dirs.push(e);
  dirs.sort((a, b) => b.path.length - a.path.length);
  for (const d of dirs) {
    const abs = paths.abs(d.path);
    const st = lstatOrNull(d.path);
    if (!st || !isDir(st)) continue;
    if (!dirsToApply.has(d.path) && st.mtimeSec === d.mtimeSec && st.mtimeNsec === d.mtimeNsec) continue;
    try {
      if (dirsToApply.has(d.path)) applyMeta(d.path, abs, d, null, !manifest.entries.has(d.path));
      else native.utimens(abs, -1, d.mtimeSec, d.mtimeNsec);
      record(d.path, d);
    } catch (error) {
      note("error", d.path, (error as Error).message);
    }
  }
  checkpoint();
  if (deletedPaths.size > 0) {
    for (const p of [...now.keys()]) {
      for (let q = p; q !== ""; q = parentOf(q)) {
        if (deletedPaths.has(q)) {
          now.delete(p);
          break;
        }
      }
    }
  }
  for (const d of dirs) {
    const st = lstatOrNull(d.path);
    if (st) now.set(d.path, st);
    else now.delete(d.path);
  }
  const different: string[] = [];
  const missing: string[] = [];
  // After a sync's deletions, only what could not go (the root) is left of the extras.
  const extra = session.isSync ? extraPaths.filter((p) => now.has(p)) : extraPaths;
  // Manifest records whose inode still has the recorded ctime: any other name of that inode
  // (a hard link whose own record went stale when a sibling name changed) is proven by it.
  // Made on the first entry that needs it: most rounds have none.
  let provenInodes: Map<number, EntryMeta> | null = null;
  const provenInode = (): Map<number, EntryMeta> => {
    if (provenInodes) return provenInodes;
    provenInodes = new Map();
    for (const [p, m] of manifest.entries) {
      const st = m.meta.type === EntryType.file ? statOf(p) : undefined;
      if (st && m.meta.type === EntryType.file && st.nlink > 1 && isSameFacts(m.facts, st)) provenInodes.set(st.ino, m.meta);
    }
    return provenInodes;
  };
  for (const [p, e] of source) {
    if (provenKept.has(p) && !now.has(p) && !removedThisSession.has(p)) continue;
    const st = statOf(p);
    if (!st) {
      missing.push(p);
      continue;
    }
    if (provenOnArrival.get(p) === st && !writtenThisSession.has(p)) continue;
    if (!isSameEntry(p, e, st, provenInode)) different.push(p);
  }
  // A folder kept whole that nothing touched since the walk proved it holds every child as its
  // record says; in one that was touched, a child with no record of its own is checked as kept.
  let keptWhole = 0;
  for (const [dir, f] of wholeFolders) {
    if (!touchedFolders.has(dir)) {
      keptWhole += f.paths.length - f.specials.length;
      continue;
    }
    for (const p of f.paths) {
      if (source.has(p)) continue;
      keptWhole++;
      if (!now.has(p) && !removedThisSession.has(p)) continue;
      const st = statOf(p);
      const m = manifest.entries.get(p);
      if (!st || !m) missing.push(p);
      else if (!isSameEntry(p, m.meta, st, provenInode)) different.push(p);
    }
  }
  const again = new Set([...resend, ...different, ...missing].filter((p) => !unfixable.has(p) && (source.has(p) || isKeptWhole(p))));
  resend.clear();
  const report: ConsistencyReport = {
    source: session.sourceLabel,
    target: input.outDir,
    round,
    total: source.size + keptWhole,
    different: different.length,
    missing: missing.length,
    extra: extra.length,
    deleted,
    differentPaths: different.slice(0, 100).map(displayPath),
    missingPaths: missing.slice(0, 100).map(displayPath),
    extraPaths: extra.slice(0, 100).map(displayPath),
    notes: [...senderNotes, ...notes].slice(0, 1000),
    isVerified: different.length === 0 && missing.length === 0,
    at: new Date().toISOString(),
  };
  writeReport(report);
  return { report, resend: [...again] };
}

function isSameRecorded(e: EntryMeta, m: EntryMeta): boolean {
  // A kept entry's source record is the manifest's own.
  if (e === m) return true;
  return isSameMeta(e, m) && e.size === m.size && e.hash.equals(m.hash) && e.link === m.link && e.rdev === m.rdev && e.isHardlink === m.isHardlink;
}

/**
 * A target entry matches its source entry. One that this session did not touch and whose inode
 * and ctime are as the manifest recorded is proven by the record (every change to content, mode,
 * owner, times or xattrs moves ctime); any other is read back: mode, owner, time, size, content
 * hash of what was written, link target, device number, every xattr.
 */
function isSameEntry(p: string, e: EntryMeta, st: Stat, provenInode: () => Map<number, EntryMeta>): boolean {
  if (typeOfMode(st.mode) !== e.type) return false;
  if (e.isHardlink && statOf(e.link)?.ino !== st.ino) return false;
  const m = manifest.entries.get(p);
  if (m && !writtenThisSession.has(p) && isSameFacts(m.facts, st) && e.type !== EntryType.dir) return isSameRecorded(e, m.meta);
  if (e.type === EntryType.file && st.nlink > 1 && !writtenThisSession.has(p)) {
    const proven = provenInode().get(st.ino);
    if (proven && isSameMeta(e, proven) && proven.hash.equals(e.hash) && proven.size === e.size) {
      manifest.put(e, factsOf(st));
      return true;
    }
  }
  if (e.type !== EntryType.symlink && (st.mode & 0o7777) !== e.mode) return false;
  if ((isRoot || hasOwnerNote === false) && (st.uid !== e.uid || st.gid !== e.gid)) return false;
  if (st.mtimeSec !== e.mtimeSec || st.mtimeNsec !== e.mtimeNsec) return false;
  const abs = paths.abs(p);
  if (e.type === EntryType.file) {
    if (st.size !== e.size) return false;
    if (!m || !isSameFacts(m.facts, st) || !m.meta.hash.equals(e.hash)) return false;
  }
  if (e.type === EntryType.symlink && fs.readlinkSync(abs, { encoding: "buffer" }).toString("latin1") !== e.link) return false;
  if ((e.type === EntryType.chr || e.type === EntryType.blk) && st.rdev !== e.rdev) return false;
  return encodeXattrs(native.listXattrs(abs)).equals(e.xattrs);
}

function writeReport(report: ConsistencyReport): void {
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(path.join(stateDir, "report.json.tmp"), `${JSON.stringify(report, null, 2)}\n`);
  fs.renameSync(path.join(stateDir, "report.json.tmp"), path.join(stateDir, "report.json"));
}

/** Each folder's digest and children in the index this writer made (what a KEEP_FOLDER keeps). */
let indexFolders = new Map<string, TargetFolder>();
let lastRound: { report: ConsistencyReport; resend: string[] } | null = null;
/** A writer may start before its session (the receiver keeps one ready): the index is made then. */
let prebuiltIndex: ArrayBuffer | null = buildIndex();

parentPort!.on("message", (m: WriterRequest) => {
  try {
    switch (m.t) {
      case "index": {
        if (isStale()) {
          reply({ t: "index", index: new ArrayBuffer(0), knownEntries: 0, isRoot, isStale: true });
          return;
        }
        session = m.session;
        isExcluded = compileExcludes(session.excludes);
        const index = prebuiltIndex ?? buildIndex();
        prebuiltIndex = null;
        reply({ t: "index", index, knownEntries: manifest.entries.size, isRoot }, [index]);
        // While the sender walks its tree, this one walks the target (and removes what killed
        // sessions left under temporary names); from here on every change made is recorded in it.
        targetNow = walkTarget(true);
        trace("target walked");
        return;
      }
      case "batch":
        applyBatch(Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength), m.flags, m.rawLength, m.checksum);
        // Nothing refers to the payload once applied (records copy what they keep): it goes back.
        reply({ t: "consumed", bytes: m.payload.byteLength, buffer: m.payload.buffer as ArrayBuffer }, [m.payload.buffer as ArrayBuffer]);
        return;
      case "chunk":
        onChunk(m.fileId, m.offset, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        reply({ t: "consumed", bytes: m.data.byteLength, buffer: m.data.buffer as ArrayBuffer }, [m.data.buffer as ArrayBuffer]);
        return;
      case "fileEnd":
        onFileEnd(m.fileId, m.isOk, m.isVanished, Buffer.from(m.hash), m.expectedHash);
        return;
      case "delta":
        onDelta(m.fileId, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        reply({ t: "consumed", bytes: m.data.byteLength });
        return;
      case "finishRound":
        trace("round end");
        lastRound = finishRound(m.round, m.notes);
        trace("round checked");
        reply({ t: "report", report: lastRound.report, resend: lastRound.resend, bytesWritten, entriesWritten, foldersProven: provenFolders.size });
        return;
      case "complete":
        if (manifest.shouldCompact()) manifest.compact();
        reply({ t: "completed" });
        return;
      case "close":
        for (const f of openLarge.values()) {
          fs.closeSync(f.fd);
          if (f.base) fs.closeSync(f.base.fd);
        }
        openLarge.clear();
        manifest.close();
        fs.closeSync(outFd);
        paths.close();
        reply({ t: "closed" });
        return;
      case "salvage":
        collectHelper(true);
        for (const f of openLarge.values()) {
          fs.closeSync(f.fd);
          if (f.base) fs.closeSync(f.base.fd);
          fs.rmSync(paths.abs(f.tmp), { force: true });
        }
        openLarge.clear();
        checkpoint();
        reply({ t: "salvaged" });
        return;
    }
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const message = e.code === "ENOSPC" ? `target ${input.outDir} is full (no space left on device)` : (e.stack ?? String(e));
    reply({ t: "failed", message, isUserError: e.code === "ENOSPC" || e.code === "EDQUOT" || e.code === "EROFS" });
  }
});
