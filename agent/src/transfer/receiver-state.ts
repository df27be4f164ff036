import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { HASH_BYTES } from "./chunk-hash";

/**
 * What the receiver knows durably about one target: which chunks it holds (their hashes), and
 * whether the last pass was verified. Kept beside the output in DIR/.ferry/<name>.json (rewritten
 * atomically) and DIR/.ferry/<name>.hashes (append-only log of checkpoints; a torn tail record
 * after a crash fails its CRC and is ignored).
 *
 * A record either trusts a chunk's hash or, with the top bit of its index set, withdraws that
 * trust. Before a chunk the log trusts is overwritten, its withdrawal is made durable: otherwise
 * a crash between the overwrite reaching the disk and the next checkpoint would leave a log that
 * vouches for bytes no longer there, and a resumed pass would skip the chunk and "verify" it.
 */
export const STATE_VERSION = 4;
const INVALIDATE_BIT = 0x8000_0000;

export interface TargetMeta {
  /** 4: a file target's identity is kept; files of another version are not trusted. */
  version: typeof STATE_VERSION;
  name: string;
  targetPath: string;
  sourceId: string;
  size: number;
  chunkBytes: number;
  /** The receiver created the target file for this copy: chunks never written are still holes. */
  isFreshFile: boolean;
  isComplete: boolean;
  verifiedChunks?: number;
  verifiedDigest?: string;
  verifiedAt?: string;
  /**
   * A target that is a file, as this state last saw it (decimal strings: 64-bit values). Another
   * inode means the file was replaced, and a verified target whose ctime moved was written by
   * something else: either way its chunks are not trusted. Devices have none: nothing cheap
   * tells that another program wrote to one.
   */
  file?: FileFacts;
}

export interface FileFacts {
  dev: string;
  ino: string;
  ctimeNs: string;
}

export function fileFactsOf(st: { dev: bigint; ino: bigint; ctimeNs: bigint }): FileFacts {
  return { dev: String(st.dev), ino: String(st.ino), ctimeNs: String(st.ctimeNs) };
}

/**
 * Whether a file target is the one a state describes: the same inode, and, after a verified pass,
 * not changed since (the receiver writes nothing after it).
 */
export function isSameTargetFile(meta: TargetMeta, now: FileFacts): boolean {
  if (!meta.file || meta.file.dev !== now.dev || meta.file.ino !== now.ino) return false;
  return !meta.isComplete || meta.file.ctimeNs === now.ctimeNs;
}

const RECORD_BYTES = 4 + HASH_BYTES + 4;

export class TargetState {
  private constructor(
    private readonly dir: string,
    private readonly name: string,
    public meta: TargetMeta,
    readonly chunks: Map<number, Buffer>,
  ) {}

  private static paths(dir: string, name: string) {
    return { meta: path.join(dir, `${name}.json`), log: path.join(dir, `${name}.hashes`) };
  }

  static async load(dir: string, name: string): Promise<TargetState | null> {
    const p = TargetState.paths(dir, name);
    let meta: TargetMeta;
    try {
      meta = JSON.parse(await fs.readFile(p.meta, "utf8")) as TargetMeta;
    } catch {
      return null;
    }
    if (meta.version !== STATE_VERSION) return null;
    const log = await fs.readFile(p.log).catch(() => Buffer.alloc(0));
    const chunks = new Map<number, Buffer>();
    for (let o = 0; o + RECORD_BYTES <= log.length; o += RECORD_BYTES) {
      const rec = log.subarray(o, o + RECORD_BYTES);
      if (zlib.crc32(rec.subarray(0, RECORD_BYTES - 4)) !== rec.readUInt32LE(RECORD_BYTES - 4)) break;
      const index = rec.readUInt32LE(0);
      if (index & INVALIDATE_BIT) chunks.delete(index & ~INVALIDATE_BIT);
      else chunks.set(index, Buffer.from(rec.subarray(4, 4 + HASH_BYTES)));
    }
    return new TargetState(dir, name, meta, chunks);
  }

  /** Starts a new state, dropping any previous chunk log. */
  static async create(dir: string, name: string, meta: TargetMeta): Promise<TargetState> {
    await fs.mkdir(dir, { recursive: true });
    const state = new TargetState(dir, name, meta, new Map());
    await fs.writeFile(TargetState.paths(dir, name).log, Buffer.alloc(0));
    await state.saveMeta();
    return state;
  }

  async saveMeta(): Promise<void> {
    const p = TargetState.paths(this.dir, this.name);
    const tmp = `${p.meta}.tmp`;
    const fh = await fs.open(tmp, "w");
    try {
      await fh.writeFile(JSON.stringify(this.meta, null, 2));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, p.meta);
    await syncDir(this.dir);
  }

  /** Appends chunk hashes and makes them durable before returning. */
  async append(entries: ReadonlyMap<number, Buffer>): Promise<void> {
    if (entries.size === 0) return;
    await this.appendRecords(encodeRecords(entries));
    for (const [index, hash] of entries) this.chunks.set(index, hash);
  }

  /** Withdraws trust in these chunks, durably, before their bytes are overwritten. */
  async invalidate(indexes: Iterable<number>): Promise<void> {
    const withdrawn = new Map<number, Buffer>();
    const none = Buffer.alloc(HASH_BYTES);
    for (const index of indexes) {
      this.chunks.delete(index);
      withdrawn.set((index | INVALIDATE_BIT) >>> 0, none);
    }
    if (withdrawn.size > 0) await this.appendRecords(encodeRecords(withdrawn));
  }

  private async appendRecords(buf: Buffer): Promise<void> {
    const fh = await fs.open(TargetState.paths(this.dir, this.name).log, "a");
    try {
      await fh.write(buf);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  /** Rewrites the log with one record per chunk (atomically), so it does not grow pass after pass. */
  async compact(): Promise<void> {
    const log = TargetState.paths(this.dir, this.name).log;
    const tmp = `${log}.tmp`;
    const fh = await fs.open(tmp, "w");
    try {
      await fh.write(encodeRecords(this.chunks));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, log);
    await syncDir(this.dir);
  }
}

function encodeRecords(entries: ReadonlyMap<number, Buffer>): Buffer {
  const buf = Buffer.allocUnsafe(entries.size * RECORD_BYTES);
  let o = 0;
  for (const [index, hash] of entries) {
    buf.writeUInt32LE(index, o);
    hash.copy(buf, o + 4);
    buf.writeUInt32LE(zlib.crc32(buf.subarray(o, o + 4 + HASH_BYTES)), o + 4 + HASH_BYTES);
    o += RECORD_BYTES;
  }
  return buf;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, "r");
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is then as durable as they allow.
  } finally {
    await fh.close();
  }
}
