import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import { loadNativeFs } from "../native/native-fs";
import { TreePaths } from "../tree-paths";

/** Everything a faithful copy must keep of one entry, as comparable text. */
export interface EntrySnapshot {
  type: string;
  mode: string;
  owner: string;
  mtimeNs: string;
  size: string;
  content: string;
  link: string;
  rdev: string;
  /** Other names of the same inode, sorted (hard-link group), for files with more than one link. */
  hardlinks: string;
  /** Every extended attribute, POSIX ACLs (system.posix_acl_*) and security.* included. */
  xattrs: string;
}

function typeName(st: fs.BigIntStats): string {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "chr";
  if (st.isBlockDevice()) return "blk";
  if (st.isFIFO()) return "fifo";
  return "socket";
}

/**
 * Walks a tree (paths of any length, names of any bytes) and records each entry field by field.
 * Keys are latin1 relative paths; the target's own .ferry folder is left out.
 */
export function snapshotTree(root: string, options: { skipDirMtime?: boolean } = {}): Map<string, EntrySnapshot> {
  const native = loadNativeFs();
  const paths = new TreePaths(Buffer.from(root, "utf8").toString("latin1"));
  const out = new Map<string, EntrySnapshot>();
  const byInode = new Map<bigint, string[]>();
  const stack = [""];
  const stats = new Map<string, fs.BigIntStats>();
  try {
    while (stack.length > 0) {
      const rel = stack.pop()!;
      const abs = paths.abs(rel);
      const st = fs.lstatSync(abs, { bigint: true });
      stats.set(rel, st);
      if (st.isFile() && st.nlink > 1n) byInode.set(st.ino, [...(byInode.get(st.ino) ?? []), rel]);
      let content = "";
      if (st.isFile()) {
        const fd = fs.openSync(abs, "r");
        const h = crypto.createHash("sha256");
        const buf = Buffer.allocUnsafe(1 << 20);
        for (;;) {
          const n = fs.readSync(fd, buf, 0, buf.length, null);
          if (n === 0) break;
          h.update(buf.subarray(0, n));
        }
        fs.closeSync(fd);
        content = h.digest("hex");
      }
      const xattrs = native
        .listXattrs(abs)
        .map(([k, v]) => `${k.toString("latin1")}=${v.toString("hex")}`)
        .sort()
        .join(",");
      out.set(rel, {
        type: typeName(st),
        mode: st.isSymbolicLink() ? "" : (st.mode & 0o7777n).toString(8),
        owner: `${st.uid}:${st.gid}`,
        mtimeNs: st.isDirectory() && options.skipDirMtime ? "" : st.mtimeNs.toString(),
        size: st.isFile() ? st.size.toString() : "",
        content,
        link: st.isSymbolicLink() ? fs.readlinkSync(abs, { encoding: "buffer" }).toString("hex") : "",
        rdev: st.isCharacterDevice() || st.isBlockDevice() ? st.rdev.toString() : "",
        hardlinks: "",
        xattrs,
      });
      if (st.isDirectory()) {
        for (const n of fs.readdirSync(abs, { encoding: "buffer" })) {
          const name = n.toString("latin1");
          if (rel === "" && name === ".ferry") continue;
          stack.push(rel === "" ? name : `${rel}/${name}`);
        }
      }
    }
  } finally {
    paths.close();
  }
  for (const names of byInode.values()) {
    const sorted = [...names].sort();
    for (const n of names) out.get(n)!.hardlinks = sorted.map((s) => Buffer.from(s, "latin1").toString("hex")).join(",");
  }
  return out;
}

/** Human-readable differences between two snapshots (empty when the trees match field by field). */
export function diffTrees(source: Map<string, EntrySnapshot>, target: Map<string, EntrySnapshot>): string[] {
  const out: string[] = [];
  const show = (p: string) => JSON.stringify(Buffer.from(p, "latin1").toString("utf8").slice(0, 120));
  for (const [p, s] of source) {
    const t = target.get(p);
    if (!t) {
      out.push(`missing on target: ${show(p)}`);
      continue;
    }
    for (const k of Object.keys(s) as (keyof EntrySnapshot)[]) if (s[k] !== t[k]) out.push(`${show(p)}: ${k} ${s[k].slice(0, 200)} != ${t[k].slice(0, 200)}`);
  }
  for (const p of target.keys()) if (!source.has(p)) out.push(`extra on target: ${show(p)}`);
  return out;
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const isRoot = process.getuid?.() === 0;

export function canMountTmpfs(dir: string): boolean {
  if (!isRoot) return false;
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "ferry-test", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface CliRun {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

export function runCli(cli: string, args: string[], env: NodeJS.ProcessEnv = process.env): CliRun {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  const r: CliRun = { child, stdout: "", stderr: "", exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  child.stdout!.on("data", (d: Buffer) => (r.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (r.stderr += d.toString()));
  return r;
}

export async function waitFor(predicate: () => boolean, what: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
