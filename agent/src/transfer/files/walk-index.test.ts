import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { BufWriter, EntryType, u32At, writeMeta, type EntryMeta } from "./entry-codec";
import type { Stat } from "./fast-stat";
import { encodeTargetIndex, fillCacheHashes, RecordFinder, SendCache, TargetIndex, writeCacheRecord } from "./walk-index";
import { CACHE_MAGIC } from "./walk-protocol";

function meta(path: string, extra: Partial<EntryMeta> = {}): EntryMeta {
  return {
    path,
    type: EntryType.file,
    mode: 0o644,
    uid: 1000,
    gid: 1000,
    mtimeSec: 1_700_000_000,
    mtimeNsec: 123_456_789,
    size: 5,
    rdev: 0,
    link: "",
    isHardlink: false,
    isSparse: false,
    xattrs: Buffer.alloc(0),
    hash: Buffer.from("0123456789abcdef"),
    ...extra,
  };
}

function stat(extra: Partial<Stat> = {}): Stat {
  return { ino: 42, mode: 0o100644, nlink: 1, uid: 1000, gid: 1000, rdev: 0, size: 5, blocks: 8, mtimeSec: 1_700_000_000, mtimeNsec: 123_456_789, ctimeSec: 1_700_000_001, ctimeNsec: 5, dev: 1, ...extra };
}

/** A stand-in for the addon's hash16: any 16-byte hash of the bytes will do for the index's layout. */
function hash16(data: Uint8Array, tag: number): Buffer {
  return crypto.createHash("sha256").update(data).update(String(tag)).digest().subarray(0, 16);
}

function index(entries: EntryMeta[]): TargetIndex {
  return new TargetIndex(Buffer.from(encodeTargetIndex(entries.map((meta) => ({ meta, facts: { ino: 7, ctimeSec: 1, ctimeNsec: 2 } })), hash16)));
}

function cacheOf(records: [string, Stat, EntryMeta][]): Buffer {
  const w = new BufWriter();
  w.str(CACHE_MAGIC);
  for (const [rel, st, e] of records) writeCacheRecord(w, rel, st, e);
  return Buffer.from(w.result());
}

describe("the walker's target index", () => {
  it("decodes an entry only when asked, with its inode from the facts", () => {
    const t = index([meta("a"), meta("b/c", { type: EntryType.symlink, link: "../a", hash: Buffer.alloc(0) })]);
    expect(t.size).toBe(2);
    expect(t.get("b/c")).toMatchObject({ path: "b/c", type: EntryType.symlink, link: "../a", ino: 7 });
    expect(t.get("missing")).toBeUndefined();
    expect([...t.values()].map((e) => e.path)).toEqual(["a", "b/c"]);
  });
});

describe("the target index's folder digests", () => {
  it("are the XOR of each child's record hash, in any order, and change with any child's record and only for its folder", () => {
    const entries = [meta(""), meta("a", { type: EntryType.dir }), meta("a/x"), meta("a/y"), meta("b"), meta("a/sub", { type: EntryType.dir }), meta("a/sub/z")];
    const one = index(entries);
    const shuffled = index([...entries].reverse());
    for (const dir of ["", "a", "a/sub"]) expect(one.digestOf(dir)!.equals(shuffled.digestOf(dir)!), dir).toBe(true);
    expect(one.digestOf("b")).toBeUndefined();
    const w = new BufWriter();
    writeMeta(w, meta("a/x"));
    const hx = hash16(w.result(), 0);
    w.reset();
    writeMeta(w, meta("a/y"));
    const hy = hash16(w.result(), 0);
    w.reset();
    writeMeta(w, meta("a/sub", { type: EntryType.dir }));
    const hs = hash16(w.result(), 0);
    expect(one.digestOf("a")!.equals(Buffer.from(hx.map((v, i) => v ^ hy[i]! ^ hs[i]!)))).toBe(true);
    const changed = index(entries.map((e) => (e.path === "a/y" ? { ...e, mode: 0o600 } : e)));
    expect(changed.digestOf("a")!.equals(one.digestOf("a")!)).toBe(false);
    expect(changed.digestOf("")!.equals(one.digestOf("")!)).toBe(true);
    expect(changed.digestOf("a/sub")!.equals(one.digestOf("a/sub")!)).toBe(true);
    // Its records are found as before, past the digests.
    expect(one.get("a/sub/z")).toMatchObject({ path: "a/sub/z", ino: 7 });
    expect(one.size).toBe(entries.length);
    expect(new TargetIndex(Buffer.alloc(0)).size).toBe(0);
  });
});

describe("the walker's send cache", () => {
  it("matches an entry by inode, size, mtime and ctime, and its meta against the target's record byte for byte", () => {
    const cache = new SendCache(cacheOf([["a", stat(), meta("a")]]));
    const t = index([meta("a")]);
    expect(cache.hit("a", stat())).toBe(true);
    expect(t.hasRecord("a", cache.bytes, cache.metaStart, cache.recordEnd)).toBe(true);
    // The target's record differs in one field: not the same record.
    expect(index([meta("a", { mode: 0o600 })]).hasRecord("a", cache.bytes, cache.metaStart, cache.recordEnd)).toBe(false);
    expect(index([meta("a", { hash: Buffer.from("fedcba9876543210") })]).hasRecord("a", cache.bytes, cache.metaStart, cache.recordEnd)).toBe(false);
    expect(index([meta("b")]).hasRecord("a", cache.bytes, cache.metaStart, cache.recordEnd)).toBe(false);
    // Any change that moves ctime (chmod, chown, xattrs, content) or the inode misses.
    for (const changed of [{ ctimeNsec: 6 }, { ctimeSec: 2 }, { ino: 43 }, { size: 6 }, { mtimeNsec: 1 }, { mtimeSec: 1 }]) {
      expect(cache.hit("a", stat(changed))).toBe(false);
    }
    expect(cache.meta("a", stat())).toMatchObject({ path: "a", mode: 0o644, hash: Buffer.from("0123456789abcdef") });
  });

  it("copies a hit record as it is into a new cache", () => {
    const cache = new SendCache(cacheOf([["x", stat(), meta("x")], ["a", stat(), meta("a")]]));
    expect(cache.hit("a", stat())).toBe(true);
    const w = new BufWriter();
    w.str(CACHE_MAGIC);
    cache.copyHit(w);
    cache.flushCopies(w);
    expect(Buffer.from(w.result())).toEqual(cacheOf([["a", stat(), meta("a")]]));
  });

  it("finds records in any order and copies hits in the order they were hit, runs and jumps alike", () => {
    const entries: [string, ReturnType<typeof stat>, ReturnType<typeof meta>][] = ["x", "a", "b", "c"].map((p) => [p, stat(), meta(p)]);
    const cache = new SendCache(cacheOf(entries));
    const w = new BufWriter();
    w.str(CACHE_MAGIC);
    // a, b: a run after x; then x, behind it; then c, after a record that was not hit.
    for (const p of ["a", "b", "x", "c"]) {
      expect(cache.hit(p, stat()), p).toBe(true);
      cache.copyHit(w);
    }
    expect(cache.hit("nope", stat())).toBe(false);
    cache.flushCopies(w);
    expect(Buffer.from(w.result())).toEqual(cacheOf(["a", "b", "x", "c"].map((p) => [p, stat(), meta(p)])));
  });

  it("treats an older or torn cache as empty", () => {
    const good = cacheOf([["a", stat(), meta("a")]]);
    expect(new SendCache(good.subarray(0, good.length - 3)).hit("a", stat())).toBe(false);
    const old = new BufWriter();
    old.str("ferry-files-cache-3");
    expect(new SendCache(Buffer.from(old.result())).hit("a", stat())).toBe(false);
    expect(new SendCache(null).hit("a", stat())).toBe(false);
  });

  it("fills in the hashes of streamed files, leaving the others as they are", () => {
    const hash = Buffer.from("streamed-hash-16");
    const before = cacheOf([["big", stat({ ino: 1 }), meta("big", { hash: Buffer.alloc(0) })], ["small", stat({ ino: 2 }), meta("small")]]);
    const after = new SendCache(fillCacheHashes(before, new Map([["big", hash]])));
    expect(after.meta("big", stat({ ino: 1 }))?.hash).toEqual(hash);
    expect(after.meta("small", stat({ ino: 2 }))?.hash).toEqual(Buffer.from("0123456789abcdef"));
    // Now the record the target keeps for it once it arrived.
    expect(after.hit("big", stat({ ino: 1 }))).toBe(true);
    expect(index([meta("big", { hash })]).hasRecord("big", after.bytes, after.metaStart, after.recordEnd)).toBe(true);
  });
});

describe("finding records by path", () => {
  /** Records of (u32 path length, path bytes, u32 value), as the cache and the index lay paths out. */
  function records(entries: [string, number][]): Buffer {
    const w = new BufWriter();
    for (const [p, v] of entries) {
      w.str(p);
      w.u32(v);
    }
    return Buffer.from(w.result());
  }
  const valueAt = (b: Buffer, o: number) => b.readUInt32LE(o + 4 + b.readUInt32LE(o));

  it("finds every one of thousands of paths in any order, misses the rest, and the later of two records with one path", () => {
    const paths = Array.from({ length: 5000 }, (_, i) => `d${i % 37}/sub${i % 11}/f${i}\xe9\n`);
    const entries: [string, number][] = paths.map((p, i) => [p, i]);
    entries.push([paths[10]!, 99_999]);
    const b = records(entries);
    const finder = new RecordFinder(b, 0, (o) => o + 4 + b.readUInt32LE(o) + 4);
    // Shuffled: every lookup after the first misses the cursor and goes through the table.
    const order = paths.map((p, i) => [p, i] as const).sort((x, y) => ((x[1] * 7919) % 5000) - ((y[1] * 7919) % 5000));
    for (const [p, i] of order) expect(valueAt(b, finder.find(p)!), p).toBe(i === 10 ? 99_999 : i);
    expect(finder.find("d1/sub1/none")).toBeUndefined();
    expect(finder.find("")).toBeUndefined();
    expect(finder.size).toBe(5000);
    expect([...finder.paths()].length).toBe(5000);
  });
});

describe("u32At", () => {
  it("reads what readUInt32LE reads, top bit included, and refuses to read past the end", () => {
    const b = Buffer.from([1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff]);
    for (let o = 0; o <= 4; o++) expect(u32At(b, o)).toBe(b.readUInt32LE(o));
    expect(u32At(b, 4)).toBe(0xffffffff);
    expect(() => u32At(b, 5)).toThrow(RangeError);
    expect(() => u32At(b, -1)).toThrow(RangeError);
  });
});
