import fs from "node:fs";
import path from "node:path";
import { crc32 } from "../frames";
import { BufReader, BufWriter, readFacts, readMeta, writeFacts, writeMeta, type EntryMeta, type TargetFacts } from "./entry-codec";

/**
 * The target's manifest: what each entry of the target folder holds (the source's metadata and
 * content hash as written) and the facts (inode, ctime) that prove the entry was not touched
 * since. An append-only log of [u32 length][u32 CRC-32][record]; a torn last record (a kill in
 * the middle of an append) fails its CRC and everything from it on is dropped and truncated.
 * Records are appended only after the data they describe was flushed (syncfs), then the log is
 * fdatasync'ed: a record never claims a file the disk may not hold.
 */
const KIND_ENTRY = 1;
const KIND_DELETE = 2;

export interface ManifestEntry {
  meta: EntryMeta;
  facts: TargetFacts;
}

export class ManifestLog {
  readonly entries = new Map<string, ManifestEntry>();
  private pending = new BufWriter(256 * 1024);
  private pendingCount = 0;
  /** Records in the file: when far more than live entries, compact() is worth its rewrite. */
  private logRecords = 0;

  private constructor(
    readonly file: string,
    private fd: number,
  ) {}

  static open(dir: string): ManifestLog {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "manifest.log");
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    const log = new ManifestLog(file, fd);
    const data = fs.readFileSync(fd);
    let o = 0;
    while (o + 8 <= data.length) {
      const len = data.readUInt32LE(o);
      const crc = data.readUInt32LE(o + 4);
      if (o + 8 + len > data.length) break;
      const rec = data.subarray(o + 8, o + 8 + len);
      if (crc32([rec]) !== crc) break;
      try {
        log.apply(rec);
      } catch {
        break;
      }
      o += 8 + len;
      log.logRecords++;
    }
    if (o !== data.length) fs.ftruncateSync(fd, o);
    return log;
  }

  private apply(rec: Buffer): void {
    const r = new BufReader(rec);
    const kind = r.u8();
    if (kind === KIND_ENTRY) {
      const meta = readMeta(r);
      this.entries.set(meta.path, { meta, facts: readFacts(r) });
    } else if (kind === KIND_DELETE) this.entries.delete(r.str());
    else throw new Error(`unknown manifest record ${kind}`);
  }

  private frame(w: BufWriter, body: (b: BufWriter) => void): void {
    const start = w.length;
    w.u32(0);
    w.u32(0);
    body(w);
    const rec = w.buf.subarray(start + 8, w.length);
    w.buf.writeUInt32LE(rec.length, start);
    w.buf.writeUInt32LE(crc32([rec]) >>> 0, start + 4);
  }

  /** Queued until flush(); the in-memory view changes at once. */
  put(meta: EntryMeta, facts: TargetFacts): void {
    this.entries.set(meta.path, { meta, facts });
    this.frame(this.pending, (b) => {
      b.u8(KIND_ENTRY);
      writeMeta(b, meta);
      writeFacts(b, facts);
    });
    this.pendingCount++;
  }

  delete(p: string): void {
    if (!this.entries.delete(p)) return;
    this.frame(this.pending, (b) => {
      b.u8(KIND_DELETE);
      b.str(p);
    });
    this.pendingCount++;
  }

  get pendingRecords(): number {
    return this.pendingCount;
  }

  /** Appends the queued records and makes them durable. Call after the data they describe is. */
  flush(): void {
    if (this.pendingCount === 0) return;
    const buf = this.pending.result();
    const end = fs.fstatSync(this.fd).size;
    let done = 0;
    while (done < buf.length) done += fs.writeSync(this.fd, buf, done, buf.length - done, end + done);
    fs.fdatasyncSync(this.fd);
    this.logRecords += this.pendingCount;
    this.pending.reset();
    this.pendingCount = 0;
  }

  shouldCompact(): boolean {
    return this.logRecords + this.pendingCount > 2 * this.entries.size + 1000;
  }

  /** Rewrites the log as one record per live entry (after a verified session). */
  compact(): void {
    this.flush();
    const w = new BufWriter(1024 * 1024);
    for (const { meta, facts } of this.entries.values()) {
      this.frame(w, (b) => {
        b.u8(KIND_ENTRY);
        writeMeta(b, meta);
        writeFacts(b, facts);
      });
    }
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, w.result());
    const tfd = fs.openSync(tmp, "r+");
    fs.fsyncSync(tfd);
    fs.renameSync(tmp, this.file);
    this.logRecords = this.entries.size;
    fs.closeSync(this.fd);
    this.fd = tfd;
    const dfd = fs.openSync(path.dirname(this.file), "r");
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
  }

  /** False when the log file at its path is no longer the one this holds open (removed or replaced). */
  isAtItsPath(): boolean {
    const open = fs.fstatSync(this.fd);
    const now = fs.statSync(this.file, { throwIfNoEntry: false });
    return !!now && now.ino === open.ino && now.dev === open.dev;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
