import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { complementRanges } from "../byte-ranges";
import { hasTool, makeTempDir, partitionDisk, placeImage, seededRandom } from "../testing/disk-images";
import { readAtFromHandle } from "./read-at";
import { detectValidLayout } from "./valid-ranges";
import { readXfsUsage, type XfsUsage } from "./xfs-fs";

const MiB = 1024 * 1024;
const IMAGE_BYTES = 512 * MiB;
const hasXfsprogs = hasTool("mkfs.xfs") && hasTool("xfs_db") && hasTool("xfs_repair");
const hasSfdisk = hasTool("sfdisk");

/** mkfs.xfs still makes v4 (no CRC) filesystems; newer xfsprogs are to drop them. */
const canMakeV4 = hasXfsprogs && probeV4();
function probeV4(): boolean {
  const dir = makeTempDir("xfs-probe");
  try {
    const img = path.join(dir, "probe.img");
    execFileSync("truncate", ["-s", `${IMAGE_BYTES}`, img]);
    return spawnSync("mkfs.xfs", ["-N", "-f", "-m", "crc=0", img], { stdio: "ignore" }).status === 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Loop mounts need root with CAP_SYS_ADMIN (a container may have the uid without it). */
const canLoopMount = hasXfsprogs && hasTool("xfs_io") && process.getuid?.() === 0 && fs.existsSync("/dev/loop-control") && hasSysAdmin();
function hasSysAdmin(): boolean {
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1];
  return capEff !== undefined && (BigInt(`0x${capEff}`) & (1n << 21n)) !== 0n;
}

interface FsFile {
  /** Path inside the filesystem, at most one directory deep. */
  name: string;
  data: Buffer;
}

function seededBytes(length: number, seed: number): Buffer {
  const rand = seededRandom(seed);
  const buf = Buffer.alloc(length);
  for (let o = 0; o < length; o += 4) {
    const v = Math.floor(rand() * 2 ** 32);
    for (let i = 0; i < 4 && o + i < length; i++) buf[o + i] = (v >>> (8 * i)) & 0xff;
  }
  return buf;
}

/** A few MiB of random files at odd sizes, a text file and an empty one. */
function someFiles(seed: number): FsFile[] {
  return [
    { name: "big/a.bin", data: seededBytes(3 * MiB, seed) },
    { name: "big/b.bin", data: seededBytes(5 * MiB + 123, seed + 1) },
    { name: "c.bin", data: seededBytes(MiB + 7, seed + 2) },
    { name: "notes.txt", data: Buffer.from("ferry xfs line\n".repeat(5000)) },
    { name: "empty", data: Buffer.alloc(0) },
  ];
}

/** `count` one-block files in "many/", cycling through a few contents. */
function manySmallFiles(count: number, seed: number): FsFile[] {
  const contents = Array.from({ length: 8 }, (_, i) => seededBytes(1000, seed + i));
  return Array.from({ length: count }, (_, i) => ({ name: `many/s${i}`, data: contents[i % contents.length]! }));
}

/** mkfs.xfs -p fills the new filesystem from a proto file: no mount needed. */
function makeXfsImage(dir: string, image: string, mkfsArgs: string[], files: FsFile[]): void {
  const sources = new Map<Buffer, string>();
  const sourceOf = (data: Buffer) => {
    let p = sources.get(data);
    if (!p) {
      p = path.join(dir, `src-${sources.size}`);
      fs.writeFileSync(p, data);
      sources.set(data, p);
    }
    return p;
  };
  const byDir = new Map<string, FsFile[]>();
  for (const f of files) {
    const d = path.posix.dirname(f.name);
    byDir.set(d, [...(byDir.get(d) ?? []), f]);
  }
  const entry = (f: FsFile) => `${path.posix.basename(f.name)} ---644 0 0 ${sourceOf(f.data)}`;
  const lines = ["ferry", "0 0", "d--755 0 0", ...(byDir.get(".") ?? []).map(entry)];
  for (const [d, inDir] of byDir) {
    if (d !== ".") lines.push(`${d} d--755 0 0`, ...inDir.map(entry), "$");
  }
  lines.push("$");
  const proto = path.join(dir, "proto");
  fs.writeFileSync(proto, `${lines.join("\n")}\n`);
  fs.rmSync(image, { force: true });
  execFileSync("truncate", ["-s", `${IMAGE_BYTES}`, image]);
  execFileSync("mkfs.xfs", ["-q", "-f", ...mkfsArgs, "-p", proto, image], { stdio: "pipe" });
  for (const p of sources.values()) fs.rmSync(p);
}

function xfsDb(image: string, commands: string[], isExpert = false): string {
  return execFileSync("xfs_db", [isExpert ? "-x" : "-r", ...commands.flatMap((c) => ["-c", c]), image], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 256 * MiB,
  });
}

/** The numbers of "name = number" lines, in order. */
function dbNumbers(output: string, name: string): number[] {
  return [...output.matchAll(new RegExp(`^${name} = (\\d+)$`, "gm"))].map((m) => Number(m[1]));
}

/**
 * Breaks the inodes of every other file of `files` and lets xfs_repair free them: their blocks
 * become thousands of small free extents, so the free-space trees grow nodes (mkfs alone only
 * ever leaves a few large free extents per AG). Returns the files that remain.
 */
function freeEveryOtherFile(image: string, files: FsFile[]): FsFile[] {
  const doomed = files.filter((_, i) => i % 2 === 0);
  xfsDb(image, doomed.flatMap((f) => [`path /${f.name}`, "write core.mode 0"]), true);
  // Its report (a line per junked entry) is not needed, only that it succeeded.
  const repair = spawnSync("xfs_repair", [image], { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 64 * MiB });
  expect(repair.status, repair.stderr).toBe(0);
  return files.filter((_, i) => i % 2 === 1);
}

interface XfsFacts {
  blockSize: number;
  agBlocks: number;
  agCount: number;
  fdblocks: number;
  flcount: number[];
  btreeblks: number[];
  bnolevel: number[];
}

function xfsFacts(image: string): XfsFacts {
  const sb = xfsDb(image, ["sb 0", "p blocksize agblocks agcount fdblocks"]);
  const agCount = dbNumbers(sb, "agcount")[0]!;
  const agfs = xfsDb(image, Array.from({ length: agCount }, (_, ag) => [`agf ${ag}`, "p flcount btreeblks bnolevel"]).flat());
  return {
    blockSize: dbNumbers(sb, "blocksize")[0]!,
    agBlocks: dbNumbers(sb, "agblocks")[0]!,
    agCount,
    fdblocks: dbNumbers(sb, "fdblocks")[0]!,
    flcount: dbNumbers(agfs, "flcount"),
    btreeblks: dbNumbers(agfs, "btreeblks"),
    bnolevel: dbNumbers(agfs, "bnolevel"),
  };
}

interface BlockRun {
  start: number;
  count: number;
}

/**
 * The bnobt extents as xfs_db reads them, in absolute blocks. `freesp -d` lists each AG's AGFL
 * blocks (flcount of them, one block each) before its bnobt records; those are dropped.
 */
function xfsDbFreeExtents(image: string, facts: XfsFacts): BlockRun[] {
  const rows = [...xfsDb(image, ["freesp -d"]).matchAll(/^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/gm)].map((m) => m.slice(1, 4).map(Number) as [number, number, number]);
  const seen = new Array<number>(facts.agCount).fill(0);
  const out: BlockRun[] = [];
  for (const [ag, agBlock, count] of rows) {
    if (seen[ag]!++ < facts.flcount[ag]!) continue;
    out.push({ start: ag * facts.agBlocks + agBlock, count });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** What our ranges leave out of the data section, in blocks. */
function ourFreeExtents(usage: XfsUsage): BlockRun[] {
  const bs = usage.blockSize;
  return complementRanges(0, usage.blockCount * bs, usage.ranges).map((g) => ({ start: g.start / bs, count: (g.end - g.start) / bs }));
}

interface FileExtent {
  /** In blocks, within the file. */
  fileBlock: number;
  /** Absolute filesystem block. */
  start: number;
  count: number;
  isUnwritten: boolean;
}

/** Each file's data-fork extents from xfs_db's bmap, in one xfs_db run. */
function fileExtents(image: string, facts: XfsFacts, files: FsFile[]): { size: number; extents: FileExtent[] }[] {
  const out = xfsDb(image, files.flatMap((f) => [`path /${f.name}`, "p core.size", "bmap -d"]));
  const result: { size: number; extents: FileExtent[] }[] = [];
  for (const line of out.split("\n")) {
    const size = /^core\.size = (\d+)$/.exec(line);
    if (size) result.push({ size: Number(size[1]), extents: [] });
    const ext = /^data offset (\d+) startblock \d+ \((\d+)\/(\d+)\) count (\d+) flag (\d)$/.exec(line);
    if (ext) {
      const [fileBlock, ag, agBlock, count, flag] = ext.slice(1).map(Number) as [number, number, number, number, number];
      result[result.length - 1]!.extents.push({ fileBlock, start: ag * facts.agBlocks + agBlock, count, isUnwritten: flag === 1 });
    }
  }
  expect(result).toHaveLength(files.length);
  return result;
}

async function readUsage(image: string, length?: number): Promise<XfsUsage | null> {
  const fh = await fsp.open(image, "r");
  try {
    return await readXfsUsage(readAtFromHandle(fh), 0, length ?? (await fh.stat()).size);
  } finally {
    await fh.close();
  }
}

/** Copies only `ranges` of `src` into a fresh sparse file of the same size: what a target gets. */
function copyRanges(src: string, dst: string, ranges: readonly { start: number; end: number }[]): void {
  fs.rmSync(dst, { force: true });
  execFileSync("truncate", ["-s", `${fs.statSync(src).size}`, dst]);
  const from = fs.openSync(src, "r");
  const to = fs.openSync(dst, "r+");
  const buf = Buffer.alloc(4 * MiB);
  try {
    for (const r of ranges) {
      for (let pos = r.start; pos < r.end; ) {
        const n = fs.readSync(from, buf, 0, Math.min(buf.length, r.end - pos), pos);
        fs.writeSync(to, buf, 0, n, pos);
        pos += n;
      }
    }
  } finally {
    fs.closeSync(from);
    fs.closeSync(to);
  }
}

/** A file's bytes as its extents hold them in `image` (unwritten extents and holes read as zeros). */
function readThroughExtents(fd: number, blockSize: number, file: { size: number; extents: FileExtent[] }): Buffer {
  const buf = Buffer.alloc(Math.ceil(file.size / blockSize) * blockSize);
  for (const e of file.extents) {
    if (e.isUnwritten) continue;
    fs.readSync(fd, buf, e.fileBlock * blockSize, e.count * blockSize, e.start * blockSize);
  }
  return buf.subarray(0, file.size);
}

/**
 * What every XFS image must pass: our free blocks are exactly the bnobt's (as xfs_db reads it) and
 * relate exactly to sb_fdblocks; every file block lies in a data range; a copy of only the data
 * ranges is clean for xfs_repair and holds every file's bytes.
 */
async function expectExactMap(dir: string, image: string, files: FsFile[]): Promise<{ usage: XfsUsage; facts: XfsFacts }> {
  const usage = await readUsage(image);
  expect(usage).not.toBeNull();
  const u = usage!;
  const facts = xfsFacts(image);
  expect(u.blockSize).toBe(facts.blockSize);

  const theirs = xfsDbFreeExtents(image, facts);
  expect(ourFreeExtents(u)).toEqual(theirs);
  expect(u.freeBlocks).toBe(theirs.reduce((n, e) => n + e.count, 0));
  // sb_fdblocks also counts the AGFL and the free-space trees' non-root blocks (bnobt, cntbt,
  // rmapbt: agf_btreeblks) as free; we send both.
  const sum = (xs: number[]) => xs.reduce((n, x) => n + x, 0);
  expect(facts.fdblocks).toBe(u.freeBlocks + sum(facts.flcount) + sum(facts.btreeblks));
  expect(u.superblockFreeBlocks).toBe(facts.fdblocks);

  const fileBytes = files.reduce((n, f) => n + f.data.length, 0);
  expect(u.usedBlocks * u.blockSize).toBeGreaterThan(fileBytes);
  expect(u.usedBlocks * u.blockSize).toBeLessThan(IMAGE_BYTES / 4);

  const layout = fileExtents(image, facts, files);
  const covering = (start: number, end: number) => {
    let lo = 0;
    let hi = u.ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (u.ranges[mid]!.start <= start) lo = mid;
      else hi = mid - 1;
    }
    const r = u.ranges[lo]!;
    return r.start <= start && end <= r.end;
  };
  for (const [i, f] of layout.entries()) {
    expect(f.size).toBe(files[i]!.data.length);
    for (const e of f.extents) {
      expect(covering(e.start * u.blockSize, (e.start + e.count) * u.blockSize), `${files[i]!.name} blocks ${e.start}+${e.count}`).toBe(true);
    }
  }

  const copy = path.join(dir, "copy.img");
  copyRanges(image, copy, u.ranges);
  const repair = spawnSync("xfs_repair", ["-n", copy], { encoding: "utf8", maxBuffer: 64 * MiB });
  expect(repair.status, `${repair.stdout}${repair.stderr}`).toBe(0);
  const fd = fs.openSync(copy, "r");
  try {
    for (const [i, f] of layout.entries()) {
      expect(readThroughExtents(fd, u.blockSize, f).equals(files[i]!.data), files[i]!.name).toBe(true);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(copy);
  }
  return { usage: u, facts };
}

describe.skipIf(!hasXfsprogs)("XFS free-space trees (needs xfsprogs)", () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir("xfs");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Each variant moves another part of the format: v4 has the short block header, 1 KiB blocks
  // put the AG headers in separate blocks, 4 KiB sectors move the AGF and fill the first block.
  const variants: { label: string; args: string[]; needsV4?: boolean }[] = [
    { label: "v5 (CRC), 4 KiB blocks", args: [] },
    { label: "v5, 1 KiB blocks", args: ["-b", "size=1024"] },
    { label: "v5, 4 KiB sectors", args: ["-s", "size=4096"] },
    { label: "v4 (no CRC), 4 KiB blocks", args: ["-m", "crc=0"], needsV4: true },
  ];
  for (const v of variants) {
    it.skipIf(v.needsV4 && !canMakeV4)(`maps exactly what is not free, and a copy of it is the filesystem: ${v.label}${v.needsV4 ? " (needs an mkfs.xfs that still makes v4)" : ""}`, async () => {
      const image = path.join(dir, "fs.img");
      const files = someFiles(7);
      makeXfsImage(dir, image, v.args, files);
      await expectExactMap(dir, image, files);
    }, 120_000);
  }

  // Thousands of one-block free extents: leaves, then nodes, then a node above nodes.
  const fragmented: { label: string; args: string[]; needsV4?: boolean }[] = [
    { label: "v5, 1 KiB blocks", args: ["-b", "size=1024"] },
    { label: "v4, 1 KiB blocks", args: ["-m", "crc=0", "-b", "size=1024"], needsV4: true },
  ];
  for (const v of fragmented) {
    it.skipIf(v.needsV4 && !canMakeV4)(`walks a three-level free-space tree: ${v.label}${v.needsV4 ? " (needs an mkfs.xfs that still makes v4)" : ""}`, async () => {
      const image = path.join(dir, "frag.img");
      const all = [...someFiles(11), ...manySmallFiles(24_000, 30)];
      makeXfsImage(dir, image, v.args, all);
      const kept = [...all.slice(0, 5), ...freeEveryOtherFile(image, all.slice(5))];
      const { usage, facts } = await expectExactMap(dir, image, kept);
      // The files sit in the AG their directory was given, not necessarily AG 0.
      expect(Math.max(...facts.bnolevel)).toBe(3);
      expect(usage.ranges.length).toBeGreaterThan(10_000);
    }, 180_000);
  }

  describe("refuses what it cannot map, so the caller scans instead", () => {
    let good: string;
    let facts: XfsFacts;
    /** An AG whose bnobt has a node above its leaves. */
    let ag: number;
    beforeAll(() => {
      good = path.join(dir, "good.img");
      const small = manySmallFiles(2000, 40);
      makeXfsImage(dir, good, ["-b", "size=1024"], [...someFiles(3), ...small]);
      freeEveryOtherFile(good, small);
      facts = xfsFacts(good);
      ag = facts.bnolevel.indexOf(2);
    }, 120_000);

    /** A sparse copy of the good image with `patch` applied at `offset`. */
    function corrupt(offset: number, patch: Buffer): string {
      const bad = path.join(dir, "bad.img");
      execFileSync("cp", ["--sparse=always", good, bad]);
      const fd = fs.openSync(bad, "r+");
      fs.writeSync(fd, patch, 0, patch.length, offset);
      fs.closeSync(fd);
      return bad;
    }
    const daddrOf = (commands: string[]) => Number(/current daddr is (\d+)/.exec(xfsDb(good, [...commands, "daddr"]))![1]) * 512;
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n >>> 0);
      return b;
    };

    it("reads the untouched image, one of whose trees has a node", async () => {
      expect(ag).toBeGreaterThanOrEqual(0);
      expect(await readUsage(good)).not.toBeNull();
    });

    it("an AGF with a bad magic", async () => {
      const agf = daddrOf(["agf 2"]);
      expect(await readUsage(corrupt(agf, Buffer.from("XAGX")))).toBeNull();
    });

    it("a bnobt leaf with a bad magic", async () => {
      const leaf = daddrOf([`agf ${ag}`, "addr bnoroot", "addr ptrs[2]"]);
      expect(await readUsage(corrupt(leaf, Buffer.from("ABTX")))).toBeNull();
    });

    it("a bnobt leaf whose left sibling pointer breaks the chain", async () => {
      const leaf = daddrOf([`agf ${ag}`, "addr bnoroot", "addr ptrs[2]"]);
      expect(await readUsage(corrupt(leaf + 8, u32(0xffffffff)))).toBeNull();
    });

    it("an AGF whose free-block count disagrees with its tree", async () => {
      const agf = daddrOf([`agf ${ag}`]);
      const freeBlocks = dbNumbers(xfsDb(good, [`agf ${ag}`, "p freeblks"]), "freeblks")[0]!;
      expect(await readUsage(corrupt(agf + 52, u32(freeBlocks + 1)))).toBeNull();
    });

    it("a filesystem larger than its container", async () => {
      expect(await readUsage(good, IMAGE_BYTES - MiB)).toBeNull();
    });

    it("a filesystem with a real-time section or an external log", async () => {
      const side = path.join(dir, "side.img");
      const image = path.join(dir, "split.img");
      for (const args of [["-r", `rtdev=${side},size=16m`], ["-l", `logdev=${side},size=64m`]]) {
        for (const f of [side, image]) {
          fs.rmSync(f, { force: true });
          execFileSync("truncate", ["-s", `${IMAGE_BYTES}`, f]);
        }
        execFileSync("mkfs.xfs", ["-q", "-f", ...args, image], { stdio: "pipe" });
        expect(await readUsage(image), args.join(" ")).toBeNull();
      }
    }, 60_000);
  });

  it.skipIf(!hasSfdisk).each([
    ["gpt", "label: gpt\nstart=2048, size=1064960, type=linux\n"],
    ["mbr", "label: dos\nstart=2048, size=1064960, type=83\n"],
  ])("labels an XFS partition of a %s disk xfs and sends only its used blocks (needs sfdisk)", async (_kind, table) => {
    const image = path.join(dir, "part.img");
    makeXfsImage(dir, image, [], someFiles(21));
    const usage = (await readUsage(image))!;
    const disk = path.join(dir, "disk.img");
    partitionDisk(disk, 600, table);
    placeImage(disk, MiB, image);
    const fh = await fsp.open(disk, "r");
    try {
      const layout = await detectValidLayout(fh, (await fh.stat()).size);
      const region = layout.regions.find((r) => r.start === MiB)!;
      expect(region.content).toBe("xfs");
      expect(region.validBytes).toBe(usage.usedBlocks * usage.blockSize);
      expect(region.validBytes).toBeLessThan((region.end - region.start) / 4);
    } finally {
      await fh.close();
    }
  }, 60_000);

  it.skipIf(!canLoopMount)("maps a filesystem the kernel wrote: multi-extent files, punched holes, deleted files (needs root, loop mounts, xfs_io)", async () => {
    const image = path.join(dir, "kernel.img");
    makeXfsImage(dir, image, [], []);
    const mnt = path.join(dir, "mnt");
    fs.mkdirSync(mnt, { recursive: true });
    const files: FsFile[] = [];
    execFileSync("mount", ["-o", "loop", image, mnt]);
    try {
      // Two files written in turns with fsync between: their extents interleave on disk.
      const a = seededBytes(4 * MiB, 1);
      const b = seededBytes(4 * MiB, 2);
      const fa = fs.openSync(path.join(mnt, "a.bin"), "w");
      const fb = fs.openSync(path.join(mnt, "b.bin"), "w");
      for (let o = 0; o < a.length; o += 256 * 1024) {
        fs.writeSync(fa, a, o, 256 * 1024, o);
        fs.fsyncSync(fa);
        fs.writeSync(fb, b, o, 256 * 1024, o);
        fs.fsyncSync(fb);
      }
      fs.closeSync(fa);
      fs.closeSync(fb);
      files.push({ name: "a.bin", data: a }, { name: "b.bin", data: b });
      // Punched holes split a file into extents and free blocks between its others.
      const holey = seededBytes(6 * MiB, 3);
      fs.writeFileSync(path.join(mnt, "holey.bin"), holey);
      execFileSync("sync");
      for (let o = 128 * 1024; o < holey.length; o += 512 * 1024) {
        execFileSync("xfs_io", ["-c", `fpunch ${o} ${128 * 1024}`, path.join(mnt, "holey.bin")]);
        holey.fill(0, o, o + 128 * 1024);
      }
      files.push({ name: "holey.bin", data: holey });
      fs.mkdirSync(path.join(mnt, "d"));
      for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(mnt, "d", `f${i}`), seededBytes(20_000 + i, 100 + i));
      execFileSync("sync");
      for (let i = 0; i < 300; i += 2) fs.rmSync(path.join(mnt, "d", `f${i}`));
      for (let i = 1; i < 300; i += 2) files.push({ name: `d/f${i}`, data: seededBytes(20_000 + i, 100 + i) });
    } finally {
      execFileSync("umount", [mnt]);
    }

    const { usage, facts } = await expectExactMap(dir, image, files);
    const extentCounts = fileExtents(image, facts, files.slice(0, 3)).map((f) => f.extents.length);
    expect(Math.min(...extentCounts)).toBeGreaterThan(2);

    // The copy, mounted read-only, reads back every file.
    const copy = path.join(dir, "kernel-copy.img");
    copyRanges(image, copy, usage.ranges);
    execFileSync("mount", ["-o", "loop,ro", copy, mnt]);
    try {
      for (const f of files) expect(fs.readFileSync(path.join(mnt, f.name)).equals(f.data), f.name).toBe(true);
    } finally {
      execFileSync("umount", [mnt]);
      fs.rmSync(copy);
    }
  }, 180_000);

  it.skipIf(!canLoopMount)("scans an XFS mounted read-write (its map on disk may lag its log), through its image or its loop device; maps it once read-only (needs root, loop mounts)", async () => {
    const image = path.join(dir, "mounted.img");
    makeXfsImage(dir, image, [], someFiles(7));
    const mnt = path.join(dir, "mnt-rw");
    fs.mkdirSync(mnt, { recursive: true });
    const layoutOf = async (file: string) => {
      const handle = await fsp.open(file, "r");
      try {
        return await detectValidLayout(handle, IMAGE_BYTES);
      } finally {
        await handle.close();
      }
    };
    const unmounted = await layoutOf(image);
    expect(unmounted.regions.map((r) => r.content)).toEqual(["xfs"]);
    execFileSync("mount", ["-o", "loop", image, mnt]);
    try {
      const loop = execFileSync("findmnt", ["-n", "-o", "SOURCE", mnt], { encoding: "utf8" }).trim();
      expect(loop).toMatch(/^\/dev\/loop\d+$/);
      for (const file of [image, loop]) {
        const live = await layoutOf(file);
        expect(live.regions[0]!.content, file).toMatch(/^xfs \(mounted read-write: scanned/);
        expect(live.dataBytes, file).toBe(0);
        // Scanned whole (the image file's holes are zeros without reading).
        expect(live.scanBytes + live.holeBytes, file).toBe(IMAGE_BYTES);
      }
      execFileSync("mount", ["-o", "remount,ro", mnt]);
      const readOnly = await layoutOf(loop);
      expect(readOnly.regions.map((r) => r.content)).toEqual(["xfs"]);
      expect(readOnly.dataBytes).toBeLessThan(IMAGE_BYTES / 4);
    } finally {
      execFileSync("umount", [mnt]);
    }
  }, 60_000);
});
