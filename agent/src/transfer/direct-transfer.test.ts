import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type ReceiverOptions, type RunningReceiver, type SessionResult } from "./receiver";
import { TargetState } from "./receiver-state";
import { sendDisks, type SendOptions } from "./sender";
import {
  debugfsCat,
  e2fsckClean,
  hasTool,
  makeExtImage,
  makeTempDir,
  partitionDisk,
  placeImage,
  sha256File,
  writeTree,
} from "./testing/disk-images";

const MiB = 1024 * 1024;
const TOKEN = "test-token-7f3a9c0e5b1d";
const canRun = hasTool("mkfs.ext4") && hasTool("debugfs") && hasTool("e2fsck");

describe.skipIf(!canRun)("direct transfer end to end (needs e2fsprogs)", () => {
  let dir: string;
  let tree: string;
  let files: string[];
  let image: string;

  beforeAll(() => {
    dir = makeTempDir("xfer");
    tree = path.join(dir, "tree");
    files = writeTree(tree, 30, 1_200_000, 42);
    image = path.join(dir, "ext4.img");
    makeExtImage(image, 96, tree, ["-b", "4096"]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function withReceiver<T>(
    outDir: string,
    fn: (r: RunningReceiver) => Promise<T>,
    extra: { maps?: Record<string, string>; token?: string; crashAfterWrite?: ReceiverOptions["crashAfterWrite"] } = {},
  ) {
    const receiver = await startReceiver({
      host: "127.0.0.1",
      port: 0,
      credentials: { kind: "token", token: extra.token ?? TOKEN },
      outDir,
      maps: extra.maps,
      checkpointBytes: 8 * MiB,
      crashAfterWrite: extra.crashAfterWrite,
    });
    try {
      return await fn(receiver);
    } finally {
      await receiver.close();
    }
  }

  function sendOptions(r: RunningReceiver, disks: SendOptions["disks"], more: Partial<SendOptions> = {}): SendOptions {
    return {
      host: "127.0.0.1",
      port: r.address.port,
      credentials: { kind: "token", token: TOKEN },
      disks,
      isSync: false,
      stateDir: path.join(dir, "sender-state"),
      ...more,
    };
  }

  function usedBytes(img: string): number {
    const out = execFileSync("dumpe2fs", ["-h", img], { stdio: ["ignore", "pipe", "ignore"], encoding: "utf8" });
    const n = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(out)![1]);
    return (n("Block count") - n("Free blocks")) * n("Block size");
  }

  it("copies an ext4 image: clean fsck, same files, bytes sent close to the used bytes", async () => {
    const out = path.join(dir, "out-full");
    const [result] = await withReceiver(out, (r) => sendDisks(sendOptions(r, [{ path: image, name: "disk0" }])));
    const target = path.join(out, "disk0");
    const fsck = e2fsckClean(target);
    expect(fsck.output).toContain("files");
    expect(fsck.isClean).toBe(true);
    for (const f of files) expect(debugfsCat(target, f).equals(fs.readFileSync(path.join(tree, f)))).toBe(true);
    expect(result!.verifiedChunks).toBe(result!.chunks);
    const used = usedBytes(image);
    expect(result!.rawSentBytes).toBeGreaterThanOrEqual(used);
    expect(result!.wireBytes).toBeLessThan(used * 1.02 + 64 * 1024);
    // Free blocks stay holes on the target.
    expect(fs.statSync(target).blocks * 512).toBeLessThan(used * 1.1);
  });

  it("with compression deflates what shrinks, sends the rest raw, and the copy is the same", async () => {
    const out = path.join(dir, "out-compress");
    const [plain] = await withReceiver(path.join(dir, "out-compress-plain"), (r) => sendDisks(sendOptions(r, [{ path: image, name: "disk0" }])));
    const [result] = await withReceiver(out, (r) => sendDisks(sendOptions(r, [{ path: image, name: "disk0" }], { compress: true })));
    expect(sha256File(path.join(out, "disk0"))).toBe(sha256File(image));
    expect(result!.rawSentBytes).toBe(plain!.rawSentBytes);
    // A seventh of the files are text: the link carries less, but far from nothing.
    expect(result!.wireBytes).toBeLessThan(plain!.wireBytes * 0.97);
    expect(result!.wireBytes).toBeGreaterThan(plain!.wireBytes * 0.5);
  });

  it("refuses a wrong token during the handshake and writes nothing", async () => {
    const out = path.join(dir, "out-token");
    await withReceiver(
      out,
      async (r) => {
        await expect(sendDisks(sendOptions(r, [{ path: image, name: "disk0" }]))).rejects.toThrow(/token does not match/);
      },
      { token: "another-token-entirely" },
    );
    expect(fs.existsSync(out)).toBe(false);
  });

  it("detects a corrupted frame, writes none of it, and re-sends the chunk", async () => {
    const out = path.join(dir, "out-corrupt");
    const damaged = new Set<number>();
    const [result, session] = await withReceiver(out, async (r) => {
      const sent = await sendDisks(
        sendOptions(r, [{ path: image, name: "disk0" }], {
          corruptChunk: (index) => {
            if (index % 50 !== 3 || damaged.has(index)) return false;
            damaged.add(index);
            return true;
          },
        }),
      );
      return [sent[0], await r.nextSession()] as const;
    });
    expect(damaged.size).toBeGreaterThan(0);
    expect((session as SessionResult).disks[0]!.corruptFrames).toBe(damaged.size);
    expect(result!.resentChunks).toBeGreaterThanOrEqual(damaged.size);
    expect(sha256File(path.join(out, "disk0"))).toBe(sha256File(image));
  });

  it("with --sync sends only the chunks that changed", async () => {
    const src = path.join(dir, "sync.img");
    fs.copyFileSync(image, src);
    const out = path.join(dir, "out-sync");
    await withReceiver(out, async (r) => {
      const [first] = await sendDisks(sendOptions(r, [{ path: src, name: "s" }], { isSync: true }));
      expect(first!.skippedChunks).toBe(0);
      // Change one file in place of another: debugfs writes new blocks and metadata.
      const changed = crypto.randomBytes(300_000);
      fs.writeFileSync(path.join(dir, "new.bin"), changed);
      execFileSync("debugfs", ["-w", "-R", `rm /${files[1]}`, src], { stdio: "ignore" });
      execFileSync("debugfs", ["-w", "-R", `write ${path.join(dir, "new.bin")} /${files[1]}`, src], { stdio: "ignore" });
      const [second] = await sendDisks(sendOptions(r, [{ path: src, name: "s" }], { isSync: true }));
      expect(second!.changedSinceLastPass).toBeGreaterThan(0);
      expect(second!.skippedChunks).toBeGreaterThan(first!.chunks - 20);
      expect(second!.patchedChunks).toBeGreaterThan(0);
      // The file's bytes plus a few 16 KiB windows of metadata (inode table, bitmaps, directory,
      // superblock), not whole chunks.
      expect(second!.rawSentBytes).toBeLessThan(changed.length + 12 * 16 * 1024);
      const target = path.join(out, "s");
      expect(e2fsckClean(target).isClean).toBe(true);
      expect(debugfsCat(target, files[1]!).equals(changed)).toBe(true);
      expect(sha256File(target)).toBe(sha256File(src));
    });
  });

  it("with --sync sends again what a replaced or changed target file lost, instead of trusting its log", async () => {
    const src = path.join(dir, "replaced.img");
    fs.copyFileSync(image, src);
    const out = path.join(dir, "out-replaced");
    const target = path.join(out, "r");
    const stateDir = path.join(dir, "state-replaced");
    await withReceiver(out, async (r) => {
      const send = () => sendDisks(sendOptions(r, [{ path: src, name: "r" }], { isSync: true, stateDir }));
      const [first] = await send();
      expect(sha256File(target)).toBe(sha256File(src));

      // Replaced by another file of the same size (a restore, a mistake): another inode.
      fs.rmSync(target);
      fs.writeFileSync(target, "");
      fs.truncateSync(target, fs.statSync(src).size);
      const [afterReplace] = await send();
      expect(afterReplace!.skippedChunks).toBe(0);
      expect(afterReplace!.chunks).toBe(first!.chunks);
      expect(sha256File(target)).toBe(sha256File(src));

      // Written in place by something else after a verified pass: the same inode, a new ctime.
      const fd = fs.openSync(target, "r+");
      fs.writeSync(fd, Buffer.alloc(64 * 1024, 0xab), 0, 64 * 1024, 2 * MiB);
      fs.closeSync(fd);
      const [afterWrite] = await send();
      expect(afterWrite!.skippedChunks).toBe(0);
      expect(sha256File(target)).toBe(sha256File(src));

      // Untouched since: trusted, nothing sent.
      const [untouched] = await send();
      expect(untouched!.skippedChunks).toBe(first!.chunks);
      expect(untouched!.rawSentBytes).toBe(0);
    });
  });

  it("does not trust a chunk's old hash after a crash while overwriting it", async () => {
    const src = path.join(dir, "crash.img");
    fs.copyFileSync(image, src);
    const out = path.join(dir, "out-crash");
    await withReceiver(out, (r) => sendDisks(sendOptions(r, [{ path: src, name: "c" }], { isSync: true, stateDir: path.join(dir, "state-crash") })));
    const before = (await TargetState.load(path.join(out, ".ferry"), "c"))!;
    fs.writeFileSync(path.join(dir, "new2.bin"), crypto.randomBytes(200_000));
    execFileSync("debugfs", ["-w", "-R", `rm /${files[2]}`, src], { stdio: "ignore" });
    execFileSync("debugfs", ["-w", "-R", `write ${path.join(dir, "new2.bin")} /${files[2]}`, src], { stdio: "ignore" });
    let victim = -1;
    await withReceiver(
      out,
      async (r) => {
        await expect(sendDisks(sendOptions(r, [{ path: src, name: "c" }], { isSync: true, stateDir: path.join(dir, "state-crash") }))).rejects.toThrow();
      },
      {
        crashAfterWrite: (index) => {
          // The first chunk written that the log trusted: its new bytes are on the disk, its
          // old hash must not be in the log any more.
          if (victim < 0 && before.chunks.has(index)) victim = index;
          return index === victim;
        },
      },
    );
    expect(victim).toBeGreaterThanOrEqual(0);
    const after = (await TargetState.load(path.join(out, ".ferry"), "c"))!;
    expect(after.chunks.has(victim)).toBe(false);
    // Chunks the crash did not touch are still trusted, so the resume skips them.
    expect(after.chunks.size).toBeGreaterThan(before.chunks.size / 2);
  });

  it.skipIf(!fs.existsSync("/dev/full"))("fails with a clear error when the target is full (needs /dev/full)", async () => {
    const out = path.join(dir, "out-full-disk");
    await withReceiver(
      out,
      async (r) => {
        await expect(sendDisks(sendOptions(r, [{ path: image, name: "disk0" }]))).rejects.toThrow(/full \(no space left on device\)/);
        const session = await r.nextSession();
        expect(session.isOk).toBe(false);
      },
      { maps: { disk0: "/dev/full" } },
    );
  });

  const canLoop = hasTool("losetup") && spawnSync("losetup", ["-f"], { stdio: "ignore" }).status === 0;
  it.skipIf(!canLoop)("refuses a target device smaller than the source before writing (needs losetup)", async () => {
    const backing = path.join(dir, "small-backing.img");
    fs.writeFileSync(backing, Buffer.alloc(0));
    fs.truncateSync(backing, 16 * MiB);
    const loop = execFileSync("losetup", ["-f", "--show", backing], { encoding: "utf8" }).trim();
    try {
      const before = sha256File(backing);
      await withReceiver(
        path.join(dir, "out-small"),
        async (r) => {
          await expect(sendDisks(sendOptions(r, [{ path: image, name: "disk0" }]))).rejects.toThrow(/refusing before writing anything/);
        },
        { maps: { disk0: loop } },
      );
      expect(sha256File(backing)).toBe(before);
    } finally {
      execFileSync("losetup", ["-d", loop]);
    }
  });

  const canMount = canLoop && process.getuid?.() === 0 && hasTool("mount");
  /** A file written last on a filesystem mounted from a loop device (or a map on it), never synced, must be in the loop device's copy. */
  async function expectWriteBack({ isOldSync, isMapped }: { isOldSync: boolean; isMapped: boolean }) {
    const pathBefore = process.env.PATH;
    if (isOldSync) {
      const tools = path.join(dir, "old-sync");
      fs.mkdirSync(tools, { recursive: true });
      const realSync = execFileSync("sh", ["-c", "command -v sync"], { encoding: "utf8" }).trim();
      fs.writeFileSync(path.join(tools, "sync"), `#!/bin/sh\n[ "$1" = -f ] && { echo "sync: invalid option -- 'f'" >&2; exit 1; }\nexec ${realSync} "$@"\n`, { mode: 0o755 });
      process.env.PATH = `${tools}:${pathBefore}`;
    }
    const variant = `${isOldSync}-${isMapped}`;
    const backing = path.join(dir, `mounted-backing-${variant}.img`);
    const mapName = `ferry-flush-${process.pid}`;
    const mnt = path.join(dir, "mnt-live");
    let loop = "";
    let isMapCreated = false;
    let isMounted = false;
    try {
      makeExtImage(backing, 64, tree, ["-b", "4096"]);
      loop = execFileSync("losetup", ["-f", "--show", backing], { encoding: "utf8" }).trim();
      // A linear map of the whole loop device: the filesystem is mounted from the map, not the loop.
      if (isMapped) execFileSync("dmsetup", ["create", mapName, "--table", `0 ${(64 * MiB) / 512} linear ${loop} 0`]);
      isMapCreated = isMapped;
      fs.mkdirSync(mnt, { recursive: true });
      execFileSync("mount", [isMapped ? `/dev/mapper/${mapName}` : loop, mnt]);
      isMounted = true;
      // Written and closed, never synced: with delayed allocation only the page cache holds it.
      const late = crypto.randomBytes(3 * MiB);
      fs.writeFileSync(path.join(mnt, "written-last.bin"), late);
      const out = path.join(dir, `out-live-${variant}`);
      await withReceiver(out, (r) => sendDisks(sendOptions(r, [{ path: loop, name: "live" }], { stateDir: path.join(dir, `state-live-${variant}`) })));
      expect(debugfsCat(path.join(out, "live"), "written-last.bin").equals(late)).toBe(true);
    } finally {
      // Whatever step failed, nothing it made stays attached or mounted.
      process.env.PATH = pathBefore;
      if (isMounted) execFileSync("umount", [mnt]);
      if (isMapCreated) execFileSync("dmsetup", ["remove", mapName]);
      if (loop) execFileSync("losetup", ["-d", loop]);
    }
  }

  it.skipIf(!canMount).each([
    { how: "with sync -f", isOldSync: false },
    { how: "with a sync that has no -f (coreutils before 8.24)", isOldSync: true },
  ])("writes back a mounted filesystem's unsynced files before reading its device, so the copy has them: $how (needs root, loop mounts)", ({ isOldSync }) =>
    expectWriteBack({ isOldSync, isMapped: false }),
  );

  // `dmsetup version` fails when the kernel has no device-mapper driver (this machine's has none).
  const canMap = canMount && hasTool("dmsetup") && spawnSync("dmsetup", ["version"], { stdio: "ignore" }).status === 0;
  it.skipIf(!canMap)("writes back a filesystem mounted through a device-mapper device built on the source disk, as LVM does (needs root, loop mounts, a kernel with device-mapper)", () =>
    expectWriteBack({ isOldSync: false, isMapped: true }),
  );

  describe.skipIf(!hasTool("sfdisk"))("partitioned disks (needs sfdisk)", () => {
    function fillDisk(disk: string, parts: { startMiB: number; kind: "ext4" | "vfat" | "random" | "swap" }[]) {
      for (const p of parts) {
        const img = path.join(dir, `part-${p.kind}.img`);
        if (p.kind === "ext4") makeExtImage(img, 24, tree, ["-b", "1024"]);
        else if (p.kind === "random") fs.writeFileSync(img, Buffer.concat([crypto.randomBytes(3 * MiB), Buffer.alloc(2 * MiB), crypto.randomBytes(MiB)]));
        else if (p.kind === "swap") {
          fs.writeFileSync(img, Buffer.alloc(0));
          fs.truncateSync(img, 4 * MiB);
          execFileSync("mkswap", [img], { stdio: "ignore" });
        } else {
          fs.writeFileSync(img, Buffer.alloc(0));
          fs.truncateSync(img, 8 * MiB);
          execFileSync("mkfs.vfat", [img], { stdio: "ignore" });
        }
        placeImage(disk, p.startMiB * MiB, img);
      }
    }

    it("round-trips an MBR disk with primary and logical partitions", async () => {
      const disk = path.join(dir, "mbr-disk.img");
      partitionDisk(disk, 72, "label: dos\nstart=2048, size=24M, type=83\nsize=8M, type=c\ntype=5\nsize=8M, type=83\nsize=6M, type=82\n");
      const kinds: { startMiB: number; kind: "ext4" | "vfat" | "random" | "swap" }[] = [{ startMiB: 1, kind: "ext4" }, { startMiB: 34, kind: "random" }];
      if (hasTool("mkfs.vfat")) kinds.push({ startMiB: 25, kind: "vfat" });
      if (hasTool("mkswap")) kinds.push({ startMiB: 43, kind: "swap" });
      fillDisk(disk, kinds);
      const out = path.join(dir, "out-mbr");
      const [result] = await withReceiver(out, (r) => sendDisks(sendOptions(r, [{ path: disk, name: "mbr" }])));
      expect(result!.layout.table).toBe("mbr");
      expect(result!.layout.regions.map((g) => g.content)).toEqual(expect.arrayContaining(["ext", "unknown", "gap"]));
      // Sources are fresh sparse files, so free space is zero on both sides: whole disks compare.
      expect(sha256File(path.join(out, "mbr"))).toBe(sha256File(disk));
      // The random partition's zero middle and free filesystem space did not travel.
      expect(result!.rawSentBytes).toBeLessThan(30 * MiB);
    });

    it("round-trips a GPT disk, backup header included", async () => {
      const disk = path.join(dir, "gpt-disk.img");
      partitionDisk(disk, 64, "label: gpt\nstart=2048, size=24M\nsize=8M\nsize=10M\n");
      fillDisk(disk, [
        { startMiB: 1, kind: "ext4" },
        { startMiB: 33, kind: "random" },
      ]);
      const out = path.join(dir, "out-gpt");
      const [result] = await withReceiver(out, (r) => sendDisks(sendOptions(r, [{ path: disk, name: "gpt" }])));
      expect(result!.layout.table).toBe("gpt");
      const target = path.join(out, "gpt");
      expect(sha256File(target)).toBe(sha256File(disk));
      const size = fs.statSync(disk).size;
      expect(sha256File(target, size - 33 * 512)).toBe(sha256File(disk, size - 33 * 512));
      expect(execFileSync("sfdisk", ["-d", target], { encoding: "utf8" }).replaceAll(target, "X")).toBe(
        execFileSync("sfdisk", ["-d", disk], { encoding: "utf8" }).replaceAll(disk, "X"),
      );
    });
  });
});
