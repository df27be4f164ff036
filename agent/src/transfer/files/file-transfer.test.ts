import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import tls from "node:tls";
import { FrameChannel } from "../frame-channel";
import { controlFrame, crc32, decodeHeader, encodeHeader, FRAME_HEADER_BYTES, FrameDecoder, FrameFlag, FrameType, parseControlPayload, type FrameHeader } from "../frames";
import { startReceiver, type RunningReceiver, type SessionResult } from "../receiver";
import { clientTlsOptions } from "../tls-credentials";
import { FileFrame, FILES_PROTOCOL_VERSION } from "./file-frames";
import { TransferError } from "../sender";
import { BufWriter, Content, EntryType, Op, toPathBuffer, writeKeepFolder, writeRecord, type EntryMeta } from "./entry-codec";
import { smallFileHash } from "./file-hash";
import { sendFiles, type FileSendOptions } from "./file-sender";
import { loadNativeFs } from "./native/native-fs";
import { canMountTmpfs, diffTrees, hasCommand, isRoot, snapshotTree } from "./testing/tree-snapshot";
import { TreePaths } from "./tree-paths";
import { TargetIndex } from "./walk-index";

const TOKEN = "files-test-token-8c1d";
const MiB = 1024 * 1024;
const native = loadNativeFs();

let work: string;
let receiver: RunningReceiver;
let port: number;
let outDir: string;

function tmpDir(name: string): string {
  const d = path.join(work, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** One session into outDir; its receiver side is awaited even when the sender fails, so a failed test leaves no result queued for the next. */
async function send(root: string, extra: Partial<FileSendOptions> = {}) {
  const sent = sendFiles({
    host: "127.0.0.1",
    port,
    credentials: { kind: "token", token: TOKEN },
    root,
    isSync: false,
    stateDir: path.join(work, "sender-state"),
    ...extra,
  });
  const result = await sent.catch(async (error: unknown) => {
    // A sender that failed before it connected has no session there: wait a while, not forever.
    await Promise.race([receiver.nextSession(), new Promise((r) => setTimeout(r, 10_000))]);
    throw error;
  });
  const session: SessionResult = await receiver.nextSession();
  return { result, session };
}

/** Whether an overlay can be mounted here (root and the kernel's overlay filesystem). */
function canMountOverlay(): boolean {
  if (!isRoot) return false;
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-overlay-probe-"));
  try {
    for (const sub of ["l", "u", "w", "m"]) fs.mkdirSync(path.join(d, sub));
    const ok = spawnSync("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${d}/l,upperdir=${d}/u,workdir=${d}/w`, `${d}/m`], { stdio: "ignore" }).status === 0;
    if (ok) execFileSync("umount", [`${d}/m`]);
    return ok;
  } finally {
    execFileSync("rm", ["-rf", d]);
  }
}

/** GNU rm walks relative to each folder, so it removes paths longer than PATH_MAX too. */
function removeOutDir(): void {
  execFileSync("rm", ["-rf", outDir]);
}

function expectSameTree(source: string, target: string): void {
  expect(diffTrees(snapshotTree(source), snapshotTree(target))).toEqual([]);
}

function setTime(p: string | Buffer, sec: number, nsec: number): void {
  native.utimens(typeof p === "string" ? Buffer.from(p) : p, -1, sec, nsec);
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-files-"));
  outDir = path.join(work, "out");
  receiver = await startReceiver({ host: "127.0.0.1", port: 0, credentials: { kind: "token", token: TOKEN }, outDir });
  port = receiver.address.port;
});

afterAll(async () => {
  await receiver?.close();
  execFileSync("rm", ["-rf", work]);
});

/** Names, depths, holes and metadata that break naive copies. */
function makeEdgeCases(root: string): void {
  const p = (...parts: string[]) => path.join(root, ...parts);
  fs.mkdirSync(p("plain"), { recursive: true });
  fs.writeFileSync(p("plain", "small.txt"), "hello\n");
  fs.writeFileSync(p("plain", "empty"), "");
  fs.writeFileSync(p("name with\nnewline"), "newline in the name");
  const invalid = Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from("-utf8")]);
  fs.writeFileSync(invalid, "not utf-8");
  fs.writeFileSync(p("x".repeat(255)), "longest name");
  // A path far past PATH_MAX (4096 bytes including the NUL), reachable only relative to a directory.
  const tree = new TreePaths(Buffer.from(root).toString("latin1"));
  let rel = "deep";
  fs.mkdirSync(tree.abs(rel));
  while (rel.length < 4300) {
    rel += `/${"d".repeat(200)}`;
    fs.mkdirSync(tree.abs(rel));
  }
  fs.writeFileSync(tree.abs(`${rel}/file-at-${rel.length}-bytes`), "deep content");
  tree.close();
  // Sparse: holes at the start, between and at the end; a dense multi-cell file.
  const fd = fs.openSync(p("sparse.img"), "w");
  fs.writeSync(fd, Buffer.from("data in the middle"), 0, 18, 6 * MiB);
  fs.writeSync(fd, crypto.randomBytes(5000), 0, 5000, 13 * MiB);
  fs.ftruncateSync(fd, 40 * MiB);
  fs.closeSync(fd);
  fs.writeFileSync(p("random.bin"), crypto.randomBytes(9 * MiB + 123));
  // Links.
  fs.writeFileSync(p("plain", "linked"), "three names");
  fs.linkSync(p("plain", "linked"), p("hard-a"));
  fs.mkdirSync(p("other"));
  fs.linkSync(p("plain", "linked"), p("other", "hard-b"));
  fs.symlinkSync("plain/small.txt", p("rel-link"));
  fs.symlinkSync("/nonexistent/target", p("dangling"));
  fs.symlinkSync("plain", p("dir-link"));
  fs.mkdirSync(p("empty-dir"));
  native.mknod(Buffer.from(p("fifo")), fs.constants.S_IFIFO | 0o640, 0);
  // Modes.
  fs.writeFileSync(p("setuid"), "#!/bin/sh\n");
  fs.chmodSync(p("setuid"), 0o4755);
  fs.mkdirSync(p("setgid-dir"));
  fs.chmodSync(p("setgid-dir"), 0o2775);
  fs.mkdirSync(p("sticky"));
  fs.chmodSync(p("sticky"), 0o1777);
  fs.mkdirSync(p("read-only-dir"));
  fs.writeFileSync(p("read-only-dir", "inside"), "x");
  fs.chmodSync(p("read-only-dir"), 0o500);
  // Extended attributes, binary values included.
  native.setXattr(Buffer.from(p("plain", "small.txt")), Buffer.from("user.comment"), Buffer.from([0, 1, 2, 255]));
  native.setXattr(Buffer.from(p("other")), Buffer.from("user.dir"), Buffer.from("on a folder"));
  // Times to the nanosecond, on files, links and folders (set last: writing inside moves them).
  setTime(p("plain", "small.txt"), 1234567890, 123456789);
  setTime(p("rel-link"), 1111111111, 999999999);
  setTime(p("random.bin"), 2000000000, 1);
  setTime(p("empty-dir"), 1500000000, 500);
}

describe("file transfer fidelity", () => {
  it("copies generated edge cases field by field (names, 4 KiB+ paths, holes, links, modes, xattrs, ns times)", async () => {
    const src = tmpDir("edge-src");
    makeEdgeCases(src);
    const { result, session } = await send(src);
    expect(result.report).toMatchObject({ isVerified: true, different: 0, missing: 0, extra: 0 });
    expect(session.isOk).toBe(true);
    expect(session.files?.report.total).toBe(result.stats.entries);
    expectSameTree(src, outDir);
    // Holes stay holes: far fewer blocks than bytes.
    const st = fs.statSync(path.join(outDir, "sparse.img"));
    expect(st.blocks * 512).toBeLessThan(1 * MiB);
    // The report is kept on the target.
    const report = JSON.parse(fs.readFileSync(path.join(outDir, ".ferry/files/report.json"), "utf8"));
    expect(report).toMatchObject({ isVerified: true, total: result.stats.entries });
    // No temporary name is left behind.
    expect(snapshotTreeNames(outDir).filter((n) => n.includes(".~ferry-"))).toEqual([]);
  });

  it("makes small files on a second writer thread too, as on machines with more cores (FERRY_WRITE_HELPER=on)", async () => {
    const src = tmpDir("helper-src");
    makeEdgeCases(src);
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(src, `small-${i}`), crypto.randomBytes(i * 13));
    for (let i = 0; i < 20; i++) fs.linkSync(path.join(src, `small-${i * 7}`), path.join(src, `hard-${i}`));
    process.env.FERRY_WRITE_HELPER = "on";
    try {
      // A new writer is started for each session in a folder removed since (see the test below).
      removeOutDir();
      const { result } = await send(src, { isSync: true });
      expect(result.report.isVerified).toBe(true);
      expect(result.rounds).toBe(1);
    } finally {
      delete process.env.FERRY_WRITE_HELPER;
    }
    expectSameTree(src, outDir);
  });

  it.skipIf(!isRoot)("keeps owners by number, device nodes and root-only xattrs (needs root)", async () => {
    const src = tmpDir("root-src");
    fs.writeFileSync(path.join(src, "owned"), "owned by nobody known");
    fs.lchownSync(path.join(src, "owned"), 12345, 54321);
    fs.symlinkSync("owned", path.join(src, "owned-link"));
    fs.lchownSync(path.join(src, "owned-link"), 4242, 4343);
    native.mknod(Buffer.from(path.join(src, "null")), fs.constants.S_IFCHR | 0o666, Number(fs.statSync("/dev/null").rdev));
    native.setXattr(Buffer.from(path.join(src, "owned")), Buffer.from("trusted.ferry"), Buffer.from("trusted value"));
    let hasSecurity = true;
    try {
      native.setXattr(Buffer.from(path.join(src, "owned")), Buffer.from("security.ferry"), Buffer.from("label"));
    } catch {
      hasSecurity = false;
    }
    const { result } = await send(src, { isSync: true });
    expect(result.report.isVerified).toBe(true);
    expectSameTree(src, outDir);
    expect(fs.lstatSync(path.join(outDir, "owned-link")).uid).toBe(4242);
    if (hasSecurity) expect(native.listXattrs(Buffer.from(path.join(outDir, "owned"))).map(([k]) => k.toString())).toContain("security.ferry");
  });

  it.skipIf(!hasCommand("setfacl"))("keeps POSIX ACLs, access and default (needs the acl package)", async () => {
    const src = tmpDir("acl-src");
    fs.writeFileSync(path.join(src, "shared"), "acl");
    fs.mkdirSync(path.join(src, "inherit"));
    execFileSync("setfacl", ["-m", "u:1234:rwx,g:55:r", path.join(src, "shared")]);
    execFileSync("setfacl", ["-d", "-m", "g:55:rx", path.join(src, "inherit")]);
    // Created after the default ACL: inherits it (on the target too, unless the copy sets it right).
    fs.writeFileSync(path.join(src, "inherit", "child"), "inherits");
    fs.mkdirSync(path.join(src, "inherit", "subdir"));
    fs.writeFileSync(path.join(src, "inherit", "plain-after-chmod"), "x");
    execFileSync("setfacl", ["-b", path.join(src, "inherit", "plain-after-chmod")]);
    const { result } = await send(src, { isSync: true });
    expect(result.report.isVerified).toBe(true);
    expectSameTree(src, outDir);
    expect(execFileSync("getfacl", ["-c", path.join(outDir, "shared")]).toString()).toContain("user:1234:rwx");
    expect(execFileSync("getfacl", ["-c", "-d", path.join(outDir, "inherit")]).toString()).toContain("group:55:r-x");
    // A second pass writes into folders that now have their default ACL: still exact.
    fs.writeFileSync(path.join(src, "inherit", "later"), "new");
    execFileSync("setfacl", ["-b", path.join(src, "inherit", "later")]);
    const again = await send(src, { isSync: true });
    expect(again.result.report.isVerified).toBe(true);
    expectSameTree(src, outDir);
  });

  it.skipIf(!isRoot)("copies a real system folder (/etc and /usr/share/doc) field by field (needs root: its files belong to many owners)", async () => {
    const src = tmpDir("system-src");
    execFileSync("cp", ["-a", "/etc", path.join(src, "etc")]);
    if (fs.existsSync("/usr/share/doc")) execFileSync("cp", ["-a", "/usr/share/doc", path.join(src, "doc")]);
    // Sockets cannot be copied (nor would rsync); drop any so the comparison is about files.
    execFileSync("find", [src, "-type", "s", "-delete"]);
    const { result } = await send(src, { isSync: true });
    expect(result.report.isVerified).toBe(true);
    expect(result.stats.entries).toBeGreaterThan(1000);
    expectSameTree(src, outDir);
  }, 60_000);
});

function snapshotTreeNames(root: string): string[] {
  return [...snapshotTree(root).keys()].map((k) => Buffer.from(k, "latin1").toString("utf8"));
}

describe("incremental --sync", () => {
  it("sends the target's index in parts, as a target of 600,000 entries needs (a frame holds 64 MiB; parts of 1,000 bytes here)", async () => {
    const src = tmpDir("index-parts-src");
    for (let d = 0; d < 10; d++) {
      fs.mkdirSync(path.join(src, `d${d}`));
      for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(src, `d${d}`, `file-${i}`), `file ${d}/${i}\n`);
    }
    const target = path.join(work, "index-parts-out");
    const r2 = await startReceiver({ host: "127.0.0.1", port: 0, credentials: { kind: "token", token: TOKEN }, outDir: target, indexPartBytes: 1000 });
    try {
      const to = { host: "127.0.0.1", port: r2.address.port, credentials: { kind: "token" as const, token: TOKEN }, root: src, stateDir: path.join(work, "s-index-parts") };
      expect((await sendFiles({ ...to, isSync: false })).report.isVerified).toBe(true);
      expect((await r2.nextSession()).isOk).toBe(true);
      // Over 300 entries: an index of tens of parts, which the sender must take whole to keep them.
      fs.writeFileSync(path.join(src, "d3/file-3"), "changed\n");
      const again = await sendFiles({ ...to, isSync: true });
      expect((await r2.nextSession()).isOk).toBe(true);
      expect(again.report.isVerified).toBe(true);
      expect(again.stats).toMatchObject({ put: 1, meta: 0, keep: again.stats.entries - 1 });
      expect(diffTrees(snapshotTree(src), new Map([...snapshotTree(target)].filter(([p]) => !p.startsWith(".ferry"))))).toEqual([]);

      // As the frames go on the wire: READY in parts of at most 1,000 bytes, all but the last flagged.
      const socket = tls.connect({ host: "127.0.0.1", port: r2.address.port, ...clientTlsOptions({ kind: "token", token: TOKEN }) });
      await new Promise<void>((resolve, reject) => socket.once("secureConnect", () => resolve()).once("error", reject));
      socket.write(Buffer.concat(controlFrame(FileFrame.hello, { protocol: FILES_PROTOCOL_VERSION, kind: "files", isSync: true, excludes: [], sourceLabel: "a frame counter" })));
      const frames: { header: FrameHeader; payload: Buffer }[] = [];
      await new Promise<void>((resolve, reject) => {
        let bytes = Buffer.alloc(0);
        socket.on("error", reject);
        socket.on("data", (d: Buffer) => {
          bytes = Buffer.concat([bytes, d]);
          while (bytes.length >= FRAME_HEADER_BYTES && bytes.length >= FRAME_HEADER_BYTES + bytes.readUInt32LE(4)) {
            const header = decodeHeader(bytes);
            frames.push({ header, payload: bytes.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + header.wireLength) });
            bytes = bytes.subarray(FRAME_HEADER_BYTES + header.wireLength);
            if (!(header.flags & FrameFlag.continued)) resolve();
          }
        });
      });
      socket.destroy();
      expect((await r2.nextSession()).isOk).toBe(false);
      expect(frames.length).toBeGreaterThan(10);
      expect(frames.every((f) => f.header.type === FileFrame.ready && f.payload.length <= 1000)).toBe(true);
      expect(frames.map((f) => f.header.flags & FrameFlag.continued)).toEqual([...frames.slice(1).map(() => FrameFlag.continued), 0]);
      const joined = new FrameDecoder().push(Buffer.concat(frames.flatMap((f) => [encodeHeader(f.header), f.payload])));
      expect(joined).toHaveLength(1);
      expect(new TargetIndex(parseControlPayload(joined[0]!.payload).blob).digestOf("d3")).toBeDefined();
    } finally {
      await r2.close();
    }
  });

  it("brings modified, added, deleted, renamed and chmod-only entries right; chmod-only sends no content", async () => {
    const src = tmpDir("sync-src");
    fs.mkdirSync(path.join(src, "a/b"), { recursive: true });
    for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(src, "a", `f${i}`), `file ${i}\n`.repeat(i + 1));
    fs.writeFileSync(path.join(src, "a/b/big.bin"), crypto.randomBytes(3 * MiB));
    fs.writeFileSync(path.join(src, "keep-me"), "unchanged");
    fs.mkdirSync(path.join(src, "gone-dir/inner"), { recursive: true });
    fs.writeFileSync(path.join(src, "gone-dir/inner/x"), "x");
    await send(src, { isSync: true });
    expectSameTree(src, outDir);

    fs.appendFileSync(path.join(src, "a/f1"), "modified\n");
    fs.writeFileSync(path.join(src, "a/new-file"), "added");
    fs.mkdirSync(path.join(src, "new-dir"));
    fs.rmSync(path.join(src, "a/f2"));
    fs.rmSync(path.join(src, "gone-dir"), { recursive: true });
    fs.renameSync(path.join(src, "a/b/big.bin"), path.join(src, "renamed-big.bin"));
    fs.renameSync(path.join(src, "a/f3"), path.join(src, "a/f3-renamed"));
    const second = await send(src, { isSync: true });
    expect(second.result.report).toMatchObject({ isVerified: true, extra: 0 });
    expect(second.result.report.deleted).toBeGreaterThanOrEqual(3);
    expectSameTree(src, outDir);
    // The renamed 3 MiB file was copied on the target, not sent again.
    expect(second.result.stats.copied).toBe(1);
    expect(second.result.contentBytes).toBeLessThan(100 * 1024);

    // A large file with bytes inserted in the middle travels as an rsync-style delta.
    const big = fs.readFileSync(path.join(src, "renamed-big.bin"));
    fs.writeFileSync(path.join(src, "renamed-big.bin"), Buffer.concat([big.subarray(0, MiB), Buffer.from("inserted in the middle"), big.subarray(MiB)]));
    const delta = await send(src, { isSync: true });
    expect(delta.result.report.isVerified).toBe(true);
    expect(delta.result.stats.deltas).toBe(1);
    expect(delta.result.contentBytes).toBeLessThan(256 * 1024);
    expectSameTree(src, outDir);

    fs.chmodSync(path.join(src, "keep-me"), 0o600);
    const third = await send(src, { isSync: true });
    expectSameTree(src, outDir);
    expect(third.result.stats).toMatchObject({ meta: 1, put: 0 });
    expect(third.result.contentBytes).toBe(0);

    const fourth = await send(src, { isSync: true });
    expect(fourth.result.stats.put + fourth.result.stats.meta).toBe(0);
    expect(fourth.result.contentBytes).toBe(0);

    // Changed on the target behind the receiver's back (the sender's cache still holds): found and repaired.
    fs.writeFileSync(path.join(outDir, "keep-me"), "tampered");
    const fifth = await send(src, { isSync: true });
    expect(fifth.result.rounds).toBe(2);
    expectSameTree(src, outDir);
  });

  it("proves folders the target holds exactly as its manifest records them, and finds what was changed, added or removed behind its back", async () => {
    const src = tmpDir("proven-src");
    for (const d of ["a", "b", "c", "e/sub"]) fs.mkdirSync(path.join(src, d), { recursive: true });
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(src, "a", `f${i}`), `a ${i}\n`);
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(src, "b", `g${i}`), `b ${i}\n`);
    fs.writeFileSync(path.join(src, "c/h"), "c\n");
    fs.writeFileSync(path.join(src, "e/sub/deep"), "deep\n");
    fs.linkSync(path.join(src, "a/f1"), path.join(src, "e/hard"));
    fs.symlinkSync("../a/f2", path.join(src, "b/link"));
    // Every folder with children but the root, which holds the receiver's state folder.
    const folders = 5; // a, b, c, e, e/sub
    await send(src, { isSync: true });
    const unchanged = await send(src, { isSync: true });
    expect(unchanged.session.files!.foldersProven).toBe(folders);
    expect(unchanged.result.report).toMatchObject({ total: 40, different: 0, missing: 0, extra: 0, isVerified: true });
    expect(unchanged.result.rounds).toBe(1);

    // Behind the receiver's back: a file rewritten in a, a file added in b, one removed from c.
    fs.writeFileSync(path.join(outDir, "a/f3"), "tampered\n");
    fs.writeFileSync(path.join(outDir, "b/stray"), "not from the source\n");
    fs.rmSync(path.join(outDir, "c/h"));
    const repaired = await send(src, { isSync: true });
    expect(repaired.session.files!.foldersProven).toBe(2); // e and e/sub
    expect(repaired.result.rounds).toBe(2);
    expect(repaired.result.report.isVerified).toBe(true);
    expectSameTree(src, outDir);

    const again = await send(src, { isSync: true });
    expect(again.session.files!.foldersProven).toBe(folders);
    expect(again.result.rounds).toBe(1);

    // A second round while folders stay kept whole: a/f1, read to check its other name e/hard,
    // is still the source's and stays.
    fs.writeFileSync(path.join(outDir, "b/g4"), "tampered again\n");
    const second = await send(src, { isSync: true });
    expect(second.result.rounds).toBe(2);
    expect(second.result.report).toMatchObject({ total: 40, deleted: 0, isVerified: true });
    expectSameTree(src, outDir);

    // Removed on the source: the kept folder's children the source no longer holds are deleted.
    fs.rmSync(path.join(src, "a/f7"));
    fs.rmSync(path.join(src, "e/sub"), { recursive: true });
    const deleted = await send(src, { isSync: true });
    expect(deleted.session.files!.foldersProven).toBe(folders);
    expect(deleted.result.report).toMatchObject({ deleted: 2, isVerified: true });
    expectSameTree(src, outDir);
  });

  it("decides unchanged folders from their listing's fingerprint and the target's digest, and still finds every change", async () => {
    const src = tmpDir("fingerprint-src");
    for (const d of ["a/b", "c", "empty"]) fs.mkdirSync(path.join(src, d), { recursive: true });
    for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(src, "a", `f${i}`), `file ${i}\n`);
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(src, "a/b", `g${i}`), `deeper ${i}\n`);
    fs.writeFileSync(path.join(src, "c/big.bin"), crypto.randomBytes(2 * MiB));
    fs.symlinkSync("../a/f1", path.join(src, "c/link"));
    // Two names of one file in two folders, the second met first in neither order in particular.
    fs.linkSync(path.join(src, "a/f2"), path.join(src, "c/hard"));
    const folders = 5; // "", a, a/b, c, empty
    await send(src, { isSync: true });
    expectSameTree(src, outDir);

    const unchanged = await send(src, { isSync: true });
    // Every folder with children travels as one KEEP_FOLDER record ("empty" has none to keep).
    expect(unchanged.result.stats).toMatchObject({ put: 0, meta: 0, keep: 48, foldersByFingerprint: folders, foldersByDigest: folders, keptFolders: folders - 1 });
    expect(unchanged.result.contentBytes).toBe(0);
    expect(unchanged.result.report).toMatchObject({ total: 48, different: 0, missing: 0, extra: 0, isVerified: true });

    // A changed file and a chmod: their folders go the long way, the others are still kept whole.
    fs.appendFileSync(path.join(src, "a/b/g3"), "changed\n");
    fs.chmodSync(path.join(src, "c/big.bin"), 0o600);
    const changed = await send(src, { isSync: true });
    expect(changed.result.report.isVerified).toBe(true);
    // Still kept whole: the two changed children follow their folder's KEEP_FOLDER with their own records.
    expect(changed.result.stats).toMatchObject({ put: 1, meta: 1, foldersByFingerprint: folders - 2, keptFolders: folders - 1 });
    expect(changed.result.report).toMatchObject({ total: 48, different: 0, missing: 0 });
    expectSameTree(src, outDir);

    // The folders written last time are decided from their fingerprint again, the target's
    // digest now computed from the records (their headers did not know it).
    const again = await send(src, { isSync: true });
    expect(again.result.stats).toMatchObject({ put: 0, meta: 0, foldersByFingerprint: folders, foldersByDigest: folders });

    // A file with two names in two folders kept whole: the mode change of one name moves the
    // other's ctime on the target too, and both folders still end right.
    fs.chmodSync(path.join(src, "a/f2"), 0o640);
    const linked = await send(src, { isSync: true });
    expect(linked.result.stats).toMatchObject({ keptFolders: folders - 1 });
    expect(linked.result.report).toMatchObject({ total: 48, different: 0, missing: 0, isVerified: true });
    expect(linked.result.rounds).toBe(1);
    expectSameTree(src, outDir);
    const settled = await send(src, { isSync: true });
    expect(settled.session.files!.foldersProven).toBe(3); // a, a/b, c: the root holds the receiver's state, "empty" nothing
    expect(settled.result.report).toMatchObject({ total: 48, different: 0, missing: 0, isVerified: true });

    // A record the target's manifest holds differently (its owner says another mode) is found
    // through the folder's digest, and the entry is sent.
    fs.chmodSync(path.join(outDir, "a/f5"), 0o600);
    const tampered = await send(src, { isSync: true });
    expect(tampered.result.report.isVerified).toBe(true);
    expectSameTree(src, outDir);
  });

  it("writes afresh into a target folder removed between sessions, not into the removed one the receiver kept open", async () => {
    const src = tmpDir("removed-target-src");
    fs.mkdirSync(path.join(src, "small"));
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(src, "small", `f${i}`), `file ${i}\n`);
    fs.mkdirSync(path.join(src, "large"));
    fs.writeFileSync(path.join(src, "large/big.bin"), crypto.randomBytes(3 * MiB));
    await send(src, { isSync: true });
    expectSameTree(src, outDir);

    // The receiver keeps a writer ready for the next session: wait until it holds the manifest open.
    const manifest = path.join(outDir, ".ferry/files/manifest.log");
    const linkOf = (fd: string) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`, { encoding: "utf8" });
      } catch {
        return null; // the descriptor readdir itself used, closed by now
      }
    };
    const holdsManifest = () => fs.readdirSync("/proc/self/fd").some((fd) => linkOf(fd) === manifest);
    for (let i = 0; i < 200 && !holdsManifest(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(holdsManifest()).toBe(true);
    removeOutDir();
    const again = await send(src, { isSync: false });
    expect(again.result.rounds).toBe(1);
    expect(again.result.stats.put).toBeGreaterThan(20);
    expectSameTree(src, outDir);
    expect(fs.statSync(manifest).size).toBeGreaterThan(0);

    const rerun = await send(src, { isSync: true });
    expect(rerun.result.stats.put + rerun.result.stats.meta).toBe(0);

    // Removed while that writer is still starting: it makes no folder again, and a session then
    // writes afresh (it had failed with ENOENT when the removal fell between its mkdir and open).
    removeOutDir();
    for (let i = 0; i < 40 && !fs.existsSync(outDir); i++) await new Promise((r) => setTimeout(r, 25));
    expect(fs.existsSync(outDir)).toBe(false);
    const afresh = await send(src, { isSync: true });
    expect(afresh.result.report.isVerified).toBe(true);
    expect(afresh.result.stats.put).toBeGreaterThan(20);
    expectSameTree(src, outDir);
  });

  it("leaves extras alone without --sync, reports them, and skips excluded paths", async () => {
    const src = tmpDir("exclude-src");
    fs.mkdirSync(path.join(src, "cache"));
    fs.writeFileSync(path.join(src, "cache/junk"), "junk");
    fs.writeFileSync(path.join(src, "app.log"), "log");
    fs.writeFileSync(path.join(src, "kept"), "kept");
    const target = tmpDir("exclude-out");
    fs.writeFileSync(path.join(target, "stray"), "not in the source");
    const r2 = await startReceiver({ host: "127.0.0.1", port: 0, credentials: { kind: "token", token: TOKEN }, outDir: target });
    try {
      const result = await sendFiles({
        host: "127.0.0.1",
        port: r2.address.port,
        credentials: { kind: "token", token: TOKEN },
        root: src,
        excludes: ["/cache", "*.log"],
        isSync: false,
        stateDir: path.join(work, "sender-state"),
      });
      expect(result.report).toMatchObject({ isVerified: true, extra: 1, extraPaths: ["stray"] });
      expect(fs.existsSync(path.join(target, "stray"))).toBe(true);
      expect(fs.existsSync(path.join(target, "cache"))).toBe(false);
      expect(fs.existsSync(path.join(target, "app.log"))).toBe(false);
      expect(fs.readFileSync(path.join(target, "kept"), "utf8")).toBe("kept");
    } finally {
      await r2.close();
    }
  });
});

describe("walk", () => {
  it.skipIf(!canMountTmpfs(os.tmpdir()))("does not descend into a tmpfs mounted inside the tree (needs root)", async () => {
    const src = tmpDir("mount-src");
    fs.mkdirSync(path.join(src, "run"));
    fs.writeFileSync(path.join(src, "real"), "real");
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "ferry-test", path.join(src, "run")]);
    try {
      fs.writeFileSync(path.join(src, "run/pid"), "123");
      const { result } = await send(src, { isSync: true });
      expect(result.report.isVerified).toBe(true);
      expect(fs.existsSync(path.join(outDir, "run"))).toBe(true);
      expect(fs.existsSync(path.join(outDir, "run/pid"))).toBe(false);
      expect(result.notes.some((n) => n.kind === "skipped" && n.text.includes("tmpfs"))).toBe(true);
    } finally {
      execFileSync("umount", [path.join(src, "run")]);
    }
  });

  it.skipIf(!canMountOverlay())("does not copy an overlay mounted inside the tree (a container's root), only the layers it shows (needs root and overlay mounts)", async () => {
    const src = tmpDir("overlay-src");
    for (const d of ["layers/lower", "layers/upper", "layers/work", "containers/c1/merged"]) fs.mkdirSync(path.join(src, d), { recursive: true });
    fs.writeFileSync(path.join(src, "layers/lower/app.bin"), crypto.randomBytes(64 * 1024));
    const merged = path.join(src, "containers/c1/merged");
    const l = (d: string) => path.join(src, "layers", d);
    execFileSync("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${l("lower")},upperdir=${l("upper")},workdir=${l("work")}`, merged]);
    try {
      const { result } = await send(src, { isSync: true });
      expect(result.report.isVerified).toBe(true);
      expect(fs.existsSync(path.join(outDir, "layers/lower/app.bin"))).toBe(true);
      expect(fs.existsSync(path.join(outDir, "containers/c1/merged"))).toBe(true);
      expect(fs.readdirSync(path.join(outDir, "containers/c1/merged"))).toEqual([]);
      expect(result.notes.some((n) => n.kind === "skipped" && n.text.includes("overlay"))).toBe(true);
    } finally {
      execFileSync("umount", [merged]);
    }
  });

  it.skipIf(!isRoot)("copies what a bind mount shows once, where it lives, and what it shows from outside the tree (needs root: mount --bind)", async () => {
    const src = tmpDir("bind-src");
    const p = (rel: string) => path.join(src, rel);
    fs.mkdirSync(p("srv/www/site"), { recursive: true });
    fs.writeFileSync(p("srv/www/site/index.html"), "<p>hello</p>");
    fs.mkdirSync(p("var/www"), { recursive: true });
    fs.mkdirSync(p("again"));
    fs.mkdirSync(p("ext"));
    const outside = tmpDir("bind-outside");
    fs.writeFileSync(path.join(outside, "only-here"), "shown only through the bind");
    const binds: [string, string][] = [[p("srv/www"), p("var/www")], [src, p("again")], [outside, p("ext")]];
    const mounted: string[] = [];
    try {
      for (const [from, at] of binds) {
        execFileSync("mount", ["--bind", from, at]);
        mounted.unshift(at);
      }
      const { result } = await send(src, { isSync: true });
      expect(result.report.isVerified).toBe(true);
      expect(fs.readFileSync(path.join(outDir, "srv/www/site/index.html"), "utf8")).toBe("<p>hello</p>");
      expect(fs.readdirSync(path.join(outDir, "var/www"))).toEqual([]);
      // The tree bound inside itself is not copied a second time.
      expect(fs.readdirSync(path.join(outDir, "again"))).toEqual([]);
      expect(fs.readFileSync(path.join(outDir, "ext/only-here"), "utf8")).toBe("shown only through the bind");
      const skipped = result.notes.filter((n) => n.kind === "skipped").map((n) => n.text);
      expect(skipped).toContain(`contents not copied: a bind mount of ${p("srv/www")}, copied there`);
      expect(skipped).toContain(`contents not copied: a bind mount of ${src}, copied there`);
      expect(skipped).toHaveLength(2);
    } finally {
      for (const at of mounted) execFileSync("umount", [at]);
    }
  });

  it("keeps going when files change or vanish during the walk; a pass at rest then matches", async () => {
    const src = tmpDir("churn-src");
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(path.join(src, `d${d}`));
      for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(src, `d${d}`, `f${i}`), `content ${d} ${i}\n`.repeat(40));
    }
    fs.writeFileSync(path.join(src, "growing.log"), crypto.randomBytes(2 * MiB));
    let isChurning = true;
    let round = 0;
    const churn = (async () => {
      // Bounded: a few hundred changes while the send runs, not a tree that grows without end.
      while (isChurning && round < 150) {
        round++;
        for (let d = 0; d < 20; d++) {
          const victim = path.join(src, `d${d}`, `f${round % 100}`);
          fs.rmSync(victim, { force: true });
          fs.writeFileSync(path.join(src, `d${d}`, `new-${round}`), "appeared");
          fs.appendFileSync(path.join(src, `d${d}`, `f${(round + 50) % 100}`), "more\n".repeat(round));
        }
        fs.appendFileSync(path.join(src, "growing.log"), crypto.randomBytes(16 * 1024));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const sending = send(src, { isSync: true, batchBytes: 16 * 1024 });
    const { result } = await sending.finally(() => {
      isChurning = false;
    });
    await churn;
    expect(result.report.isVerified).toBe(true);
    expect(round).toBeGreaterThan(0);
    // A second pass with the tree at rest makes the target identical.
    const again = await send(src, { isSync: true });
    expect(again.result.report.isVerified).toBe(true);
    expectSameTree(src, outDir);
  });
});

describe("a full target", () => {
  it.skipIf(!canMountTmpfs(os.tmpdir())).each([
    { what: "small files", smallFiles: 100, largeMiB: 0 },
    { what: "a large file", smallFiles: 10, largeMiB: 6 },
  ])("fails with a clear error, never a verified report, when $what fill it (needs root: mounts a 4 MiB tmpfs)", async ({ what, smallFiles, largeMiB }) => {
    const src = tmpDir(`full-src-${what}`);
    for (let i = 0; i < smallFiles; i++) fs.writeFileSync(path.join(src, `small-${i}`), crypto.randomBytes(64 * 1024));
    if (largeMiB) fs.writeFileSync(path.join(src, "large.bin"), crypto.randomBytes(largeMiB * MiB));
    const target = tmpDir(`full-out-${what}`);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "ferry-full", target]);
    const r2 = await startReceiver({ host: "127.0.0.1", port: 0, credentials: { kind: "token", token: TOKEN }, outDir: target });
    try {
      await expect(
        sendFiles({ host: "127.0.0.1", port: r2.address.port, credentials: { kind: "token", token: TOKEN }, root: src, isSync: false, stateDir: path.join(work, `s-full-${what}`) }),
      ).rejects.toThrow(/is full \(no space left on device\)/);
      const session = await r2.nextSession();
      expect(session.isOk).toBe(false);
    } finally {
      await r2.close();
      execFileSync("umount", ["-l", target]);
    }
  });
});

describe("authentication", () => {
  it("refuses a wrong token before anything is written", async () => {
    const src = tmpDir("token-src");
    fs.writeFileSync(path.join(src, "secret"), "x");
    const target = path.join(work, "token-out");
    const r2 = await startReceiver({ host: "127.0.0.1", port: 0, credentials: { kind: "token", token: TOKEN }, outDir: target });
    try {
      await expect(
        sendFiles({ host: "127.0.0.1", port: r2.address.port, credentials: { kind: "token", token: "wrong" }, root: src, isSync: false, stateDir: path.join(work, "s2") }),
      ).rejects.toThrow(TransferError);
      expect(fs.existsSync(target) ? fs.readdirSync(target) : []).toEqual([]);
    } finally {
      await r2.close();
    }
  });

  it("tells a sender of another agent version so in words, and writes nothing", async () => {
    const socket = tls.connect({ host: "127.0.0.1", port, ...clientTlsOptions({ kind: "token", token: TOKEN }) });
    await new Promise<void>((resolve, reject) => socket.once("secureConnect", () => resolve()).once("error", reject));
    const channel = new FrameChannel(socket);
    await channel.send(controlFrame(FrameType.filesHello, { protocol: FILES_PROTOCOL_VERSION - 1, isSync: false, excludes: [], sourceLabel: "old agent" }));
    const reply = await channel.next();
    expect(reply.type).toBe(FrameType.error);
    expect((parseControlPayload(reply.payload).body as { message: string }).message).toBe(
      `the sender speaks file transfer protocol ${FILES_PROTOCOL_VERSION - 1} and this receiver ${FILES_PROTOCOL_VERSION}: run the same ferry-agent version on both servers`,
    );
    socket.destroy();
    expect((await receiver.nextSession()).isOk).toBe(false);
  });

  it("ends a session whose sender names a path outside the target, put or kept, in words and with nothing written there", async () => {
    for (const op of [Op.put, Op.keep]) {
      const escape = path.join(work, `escaped-${op}`);
      const socket = tls.connect({ host: "127.0.0.1", port, ...clientTlsOptions({ kind: "token", token: TOKEN }) });
      await new Promise<void>((resolve, reject) => socket.once("secureConnect", () => resolve()).once("error", reject));
      const channel = new FrameChannel(socket);
      await channel.send(controlFrame(FileFrame.hello, { protocol: FILES_PROTOCOL_VERSION, kind: "files", isSync: false, excludes: [], sourceLabel: "a crafted sender" }));
      expect((await channel.next()).type).toBe(FileFrame.ready);
      const w = new BufWriter();
      const meta: EntryMeta = {
        path: `../${path.basename(escape)}`,
        type: EntryType.file,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtimeSec: 1_700_000_000,
        mtimeNsec: 0,
        size: 4,
        rdev: 0,
        link: "",
        isHardlink: false,
        isSparse: false,
        xattrs: Buffer.alloc(0),
        hash: smallFileHash(Buffer.from("evil")),
      };
      writeRecord(w, op, meta, Content.inline, Buffer.from("evil"));
      const payload = Buffer.from(w.result());
      channel.write([encodeHeader({ type: FileFrame.batch, flags: 0, disk: 0, wireLength: payload.length, offset: 0, rawLength: payload.length, checksum: crc32([payload]), seq: 0 }), payload]);
      await channel.send(controlFrame(FileFrame.roundEnd, { round: 1, notes: [] }));
      let reply = await channel.next();
      while (reply.type !== FrameType.error) reply = await channel.next();
      expect((parseControlPayload(reply.payload).body as { message: string }).message, String(op)).toMatch(/unsafe path from the sender: "\.\.\/escaped-/);
      socket.destroy();
      expect((await receiver.nextSession()).isOk).toBe(false);
      expect(fs.existsSync(escape), escape).toBe(false);
      expect(fs.readdirSync(path.dirname(outDir)).filter((n) => n.includes("escaped"))).toEqual([]);
    }
  });

  it("ends a session whose sender keeps a folder under a digest the receiver's index did not show, with nothing kept", async () => {
    const socket = tls.connect({ host: "127.0.0.1", port, ...clientTlsOptions({ kind: "token", token: TOKEN }) });
    await new Promise<void>((resolve, reject) => socket.once("secureConnect", () => resolve()).once("error", reject));
    const channel = new FrameChannel(socket);
    await channel.send(controlFrame(FileFrame.hello, { protocol: FILES_PROTOCOL_VERSION, kind: "files", isSync: true, excludes: [], sourceLabel: "a crafted sender" }));
    const ready = await channel.next();
    expect(ready.type).toBe(FileFrame.ready);
    // The index names the folders it holds: the root's digest, flipped in one bit.
    const index = new TargetIndex(Buffer.from(parseControlPayload(ready.payload).blob));
    const digest = Buffer.from(index.digestOf("")!);
    digest[0]! ^= 1;
    const w = new BufWriter();
    writeKeepFolder(w, "", digest);
    const payload = Buffer.from(w.result());
    channel.write([encodeHeader({ type: FileFrame.batch, flags: 0, disk: 0, wireLength: payload.length, offset: 0, rawLength: payload.length, checksum: crc32([payload]), seq: 0 }), payload]);
    await channel.send(controlFrame(FileFrame.roundEnd, { round: 1, notes: [] }));
    let reply = await channel.next();
    while (reply.type !== FrameType.error) reply = await channel.next();
    expect((parseControlPayload(reply.payload).body as { message: string }).message).toMatch(/kept folder "" as a target index this receiver did not send showed it/);
    socket.destroy();
    expect((await receiver.nextSession()).isOk).toBe(false);
  });

  it("refuses paths that would leave the target", async () => {
    const { isSafeRelativePath } = await import("./entry-codec");
    for (const bad of ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "a/", "a\0b", ".", "..", "a/..", "a/.", "/", "//"]) expect(isSafeRelativePath(bad), bad).toBe(false);
    for (const good of ["a", "a/b", "...", "a/...b", ".a/..b/b..", "a.b/c"]) expect(isSafeRelativePath(good), good).toBe(true);
    expect(isSafeRelativePath(toPathBuffer("ok/\xff\n").toString("latin1"))).toBe(true);
  });
});
