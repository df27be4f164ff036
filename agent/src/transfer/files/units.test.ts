import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BufReader, BufWriter, EntryType, Op, packed, readRecord, writeRecord, type EntryMeta } from "./entry-codec";
import { compileExcludes } from "./exclude-glob";
import { statAt } from "./fast-stat";
import { encodeResendList } from "./file-receiver";
import { notesToSend } from "./file-sender";
import { ManifestLog } from "./manifest-log";
import { bindViews, devKey, parseMountInfo, parseMountLines } from "./mount-types";
import { ST, STAT_FIELDS } from "./native/native-fs";
import { TreePaths } from "./tree-paths";

const meta = (p: string): EntryMeta => ({
  path: p,
  type: EntryType.file,
  mode: 0o4755,
  uid: 4_000_000_000,
  gid: 7,
  mtimeSec: -5,
  mtimeNsec: 999_999_999,
  size: 2 ** 40,
  rdev: 0,
  link: "",
  isHardlink: false,
  isSparse: true,
  xattrs: Buffer.from("x"),
  hash: Buffer.alloc(32, 9),
});

describe("exclude patterns (rsync's reading)", () => {
  const m = compileExcludes(["*.log", "/var/cache", "tmp/", "a/**/z", "[ab]c?"]);
  it.each([
    ["x/y/app.log", false, true],
    ["var/cache", true, true],
    ["srv/var/cache", true, false],
    ["tmp", true, true],
    ["tmp", false, false],
    ["a/b/c/z", false, true],
    ["q/bcd", false, true],
    ["q/dcd", false, false],
  ])("%s (dir %s) excluded: %s", (p, isDir, expected) => expect(m(p, isDir)).toBe(expected));
});

describe("records", () => {
  it("round-trip every field, including bytes that are not UTF-8", () => {
    const w = new BufWriter(16);
    const name = Buffer.from([0x61, 0xff, 0x0a, 0x80]).toString("latin1");
    writeRecord(w, Op.put, meta(name), 1, Buffer.from("content"));
    writeRecord(w, Op.keep, meta("k"));
    const r = new BufReader(w.result());
    const a = readRecord(r);
    expect(a).toMatchObject({ ...meta(name), op: Op.put, data: Buffer.from("content") });
    expect(readRecord(r)).toEqual({ op: Op.keep, path: "k" });
    expect(r.isDone).toBe(true);
  });
});

describe("manifest log", () => {
  it("keeps records across reopen and drops a torn tail", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-manifest-"));
    const log = ManifestLog.open(dir);
    log.put(meta("a"), { ino: 1, ctimeSec: 2, ctimeNsec: 3 });
    log.put(meta("b"), { ino: 4, ctimeSec: 5, ctimeNsec: 6 });
    log.flush();
    log.delete("a");
    log.flush();
    log.close();
    const file = path.join(dir, "manifest.log");
    const good = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.from([50, 0, 0, 0, 1, 2, 3, 4, 5]));
    const again = ManifestLog.open(dir);
    expect([...again.entries.keys()]).toEqual(["b"]);
    expect(again.entries.get("b")!.facts).toEqual({ ino: 4, ctimeSec: 5, ctimeNsec: 6 });
    expect(fs.statSync(file).size).toBe(good);
    again.compact();
    again.close();
    expect([...ManifestLog.open(dir).entries.keys()]).toEqual(["b"]);
    fs.rmSync(dir, { recursive: true });
  });
});

describe("paths longer than PATH_MAX", () => {
  it("reach a file 6000 bytes deep through directory anchors", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-deep-"));
    const t = new TreePaths(dir);
    let rel = "";
    for (let i = 0; i < 30; i++) {
      rel = rel ? `${rel}/${"n".repeat(199)}` : "n".repeat(199);
      fs.mkdirSync(t.abs(rel));
    }
    fs.writeFileSync(t.abs(`${rel}/f`), "deep");
    expect(rel.length).toBeGreaterThan(5900);
    expect(t.abs(`${rel}/f`).length).toBeLessThan(4096);
    expect(fs.readFileSync(t.abs(`${rel}/f`), "utf8")).toBe("deep");
    t.close();
    execFileSync("rm", ["-rf", dir]);
  });
});

describe("mountinfo", () => {
  it("maps devices to filesystem types", () => {
    const m = parseMountInfo("36 35 0:5 / /proc rw,nosuid - proc proc rw\n40 35 8:1 / /mnt\\040x rw - ext4 /dev/sda1 rw\n");
    expect(m.get("0:5")).toEqual({ fsType: "proc", mountPoint: "/proc" });
    expect(m.get("8:1")!.mountPoint).toBe("/mnt x");
    expect(devKey(BigInt((8 << 8) | 1))).toBe("8:1");
  });
});

describe("bind mounts the walk meets twice", () => {
  const line = (id: number, dev: string, root: string, at: string, type = "ext4") => `${id} 1 ${dev} ${root} ${at} rw - ${type} /dev/x rw`;
  const views = (lines: string[], walkRoot = "/", isWalked: (rel: string) => boolean = () => true) =>
    Object.fromEntries(bindViews(parseMountLines(lines.join("\n")), walkRoot, isWalked));
  const root = line(1, "8:1", "/", "/");

  it("finds a bound folder of a filesystem the walk copies, with where it is copied", () => {
    expect(views([root, line(2, "8:1", "/srv/www", "/var/www")])).toEqual({ "var/www": "/srv/www" });
    expect(views([root, line(2, "8:1", "/srv/www", "/var/www")], "/var")).toEqual({});
    expect(views([root, line(2, "8:1", "/srv/www", "/var/www")], "/srv")).toEqual({});
    expect(views([root, line(2, "8:1", "/srv/www", "/var/w\\040w")])).toEqual({ "var/w w": "/srv/www" });
  });

  it("keeps the first of a filesystem mounted twice, and one of two binds of the same folder", () => {
    expect(views([root, line(2, "8:2", "/", "/data"), line(3, "8:2", "/", "/mnt/data")])).toEqual({ "mnt/data": "/data" });
    expect(views([root, line(2, "8:2", "/x", "/a"), line(3, "8:2", "/x", "/b")])).toEqual({ b: "/a" });
    expect(views([root, line(2, "8:2", "/x/y", "/a"), line(3, "8:2", "/x", "/b")])).toEqual({ a: "/b/y" });
  });

  it("copies a bind whose folder the walk does not enter (excluded, hidden by another mount) or that holds another mount", () => {
    expect(views([root, line(2, "8:1", "/srv/www", "/var/www")], "/", (rel) => !rel.startsWith("srv"))).toEqual({});
    expect(views([root, line(2, "8:3", "/", "/srv"), line(3, "8:1", "/srv/www", "/var/www")])).toEqual({});
    // /n shows /m again, but /n/z holds another filesystem, seen only through /n.
    expect(views([root, line(2, "8:2", "/", "/m"), line(3, "8:2", "/", "/n"), line(4, "8:3", "/", "/n/z")])).toEqual({});
    expect(views([root, line(2, "8:2", "/", "/m"), line(3, "8:2", "/", "/n"), line(4, "8:3", "/", "/z")])).toEqual({ n: "/m" });
  });

  it("leaves btrfs subvolumes and overmounted mount points alone", () => {
    expect(views([line(1, "0:26", "/@", "/", "btrfs"), line(2, "0:26", "/@home", "/home", "btrfs")])).toEqual({});
    expect(views([root, line(2, "8:1", "/srv", "/mnt"), line(3, "8:5", "/", "/mnt")])).toEqual({});
  });
});

describe("what a round's end and report carry", () => {
  it("sends the first 1,000 notes and one that counts the rest", () => {
    const notes = Array.from({ length: 1500 }, (_, i) => ({ kind: "error", path: `p${i}`, text: "cannot read" }));
    const sent = notesToSend(notes);
    expect(sent).toHaveLength(1001);
    expect(sent[999]).toEqual(notes[999]);
    expect(sent[1000]).toEqual({ kind: "more", path: "", text: "500 more notes, in the sender's log" });
    expect(notesToSend(notes.slice(0, 1000))).toEqual(notes.slice(0, 1000));
  });

  it("lists the paths to send again that fit, whole", () => {
    const paths = ["a", "bb", "ccc", "dddd"];
    const read = (b: Buffer) => {
      const out: string[] = [];
      for (let o = 0; o < b.length; o += 4 + b.readUInt32LE(o)) out.push(b.toString("latin1", o + 4, o + 4 + b.readUInt32LE(o)));
      return out;
    };
    expect(read(encodeResendList(paths))).toEqual(paths);
    expect(read(encodeResendList(paths, 5 + 6 + 7))).toEqual(["a", "bb", "ccc"]);
    expect(read(encodeResendList(paths, 5 + 6 + 6))).toEqual(["a", "bb"]);
  });
});

describe("numbers kept in records", () => {
  it("stay the same numbers, past 32 bits too (sizes, inodes), whatever form V8 keeps them in", () => {
    for (const x of [0, 1, 0o100644, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, -1, 1.5]) expect(packed(x)).toBe(x);
    const a = new Float64Array(STAT_FIELDS);
    a[ST.size] = 5 * 2 ** 40;
    a[ST.ino] = 2 ** 33 + 7;
    a[ST.mtimeSec] = 1_700_000_000;
    expect(statAt(a)).toMatchObject({ size: 5 * 2 ** 40, ino: 2 ** 33 + 7, mtimeSec: 1_700_000_000 });
  });
});
