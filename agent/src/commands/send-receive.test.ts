import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../errors";
import { e2fsckClean, hasTool, makeExtImage, makeTempDir, seededRandom, sha256File, writeTree } from "../transfer/testing/disk-images";
import { parseReceiveArgs } from "./receive";
import { parseSendArgs } from "./send";
import { DEFAULT_CHUNK_BYTES } from "../transfer/chunk-plan";

const MiB = 1024 * 1024;
const CLI = path.resolve(import.meta.dirname, "../../bin/ferry-agent.mjs");
const TOKEN = "resume-test-token-55e1c2";
const CHECKPOINT = 4 * MiB;
/** The sender never runs further than two checkpoints ahead of the last acknowledged one. */
const WINDOW = 2 * CHECKPOINT;
const SEED = Number(process.env.FERRY_TEST_SEED ?? 20261125);

describe("send/receive arguments", () => {
  it("names what is missing", () => {
    expect(() => parseSendArgs(["--to", "h:1", "--block", "x"])).toThrow(UserError);
    expect(() => parseSendArgs(["--to", "h:1", "--token", "t"])).toThrow(/--block/);
    expect(() => parseReceiveArgs(["--listen", ":1", "--token", "t"])).toThrow(/--out/);
    expect(parseReceiveArgs(["--listen", ":1", "--token", "t", "--out", "/x", "--map", "a=/dev/sdb"])).toMatchObject({ maps: { a: "/dev/sdb" } });
    expect(parseReceiveArgs(["--listen", ":1", "--token", "t", "--out", "/x"])).toMatchObject({ growLastPartition: true });
    expect(parseReceiveArgs(["--listen", ":1", "--token", "t", "--out", "/x", "--no-grow"])).toMatchObject({ growLastPartition: false });
    expect(() => parseReceiveArgs(["--listen", ":1", "--token", "t", "--out", "/x", "--grow", "--no-grow"])).toThrow(/contradict/);
    expect(parseSendArgs(["--to", "h:1", "--token", "t", "--block", "a", "--block", "b", "--as", "n"])).toMatchObject({ blocks: ["a", "b"], names: ["n"] });
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const r: Run = { child, stdout: "", stderr: "", exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  child.stdout!.on("data", (d: Buffer) => (r.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (r.stderr += d.toString()));
  return r;
}

/** Generous: on a loaded machine starting the agent from its TypeScript sources alone takes seconds. */
async function waitFor(predicate: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function lastProgress(stderr: string): { sent: number; total: number } | null {
  const lines = [...stderr.matchAll(/^progress \S+ done=\d+ total=(\d+) sent=(\d+)$/gm)];
  const m = lines[lines.length - 1];
  return m ? { total: Number(m[1]), sent: Number(m[2]) } : null;
}

function sentBytes(stdout: string): number {
  return Number(/sent (\d+) bytes/.exec(stdout)![1]);
}

function chunksAlreadyThere(stdout: string): number {
  return Number(/(\d+) chunks already on the target/.exec(stdout)?.[1] ?? 0);
}

describe.skipIf(!hasTool("mkfs.ext4") || !hasTool("e2fsck"))("kill -9 and resume through the CLI (needs e2fsprogs)", () => {
  let dir: string;
  let image: string;
  const rand = seededRandom(SEED);

  beforeAll(() => {
    dir = makeTempDir("resume");
    const tree = path.join(dir, "tree");
    writeTree(tree, 40, 2 * MiB, 7);
    image = path.join(dir, "src.img");
    makeExtImage(image, 80, tree, ["-b", "4096"]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function receiverArgs(port: number, out: string, once: boolean) {
    return ["receive", "--listen", `127.0.0.1:${port}`, "--token", TOKEN, "--out", out, "--checkpoint", `${CHECKPOINT}`, ...(once ? ["--once"] : [])];
  }
  function senderArgs(port: number, state: string) {
    return ["send", "--to", `127.0.0.1:${port}`, "--token", TOKEN, "--block", image, "--as", "disk", "--limit", "16M", "--progress", "lines", "--state", state];
  }

  async function startReceiver(port: number, out: string, once: boolean): Promise<Run> {
    const r = run(receiverArgs(port, out, once));
    await waitFor(() => r.stderr.includes("listening on"), "the receiver to listen");
    return r;
  }

  /** Kills the victim -9 once the sender has sent a seeded random fraction of the disk. */
  async function killMidway(sender: Run, victim: Run): Promise<{ sentBeforeKill: number; total: number }> {
    const fraction = 0.4 + 0.4 * rand();
    await waitFor(() => {
      const p = lastProgress(sender.stderr);
      return !!p && p.sent >= p.total * fraction;
    }, "the sender to get midway");
    victim.child.kill("SIGKILL");
    await victim.exited;
    if (victim !== sender) await sender.exited;
    const p = lastProgress(sender.stderr)!;
    return { sentBeforeKill: p.sent, total: p.total };
  }

  it("resumes after the sender is killed: identical copy, at most a checkpoint interval and a window re-sent", async () => {
    const port = await freePort();
    const out = path.join(dir, "out-sender-killed");
    const state = path.join(dir, "state-a");
    const receiver = await startReceiver(port, out, false);
    try {
      const first = run(senderArgs(port, state));
      const { sentBeforeKill, total } = await killMidway(first, first);
      expect(sentBeforeKill).toBeLessThan(total);
      const second = run(senderArgs(port, state));
      expect(await second.exited).toBe(0);
      expect(second.stdout).toMatch(/verified (\d+) of \1 chunks/);
      const resent = sentBeforeKill + sentBytes(second.stdout) - total;
      console.log(`sender killed after ${sentBeforeKill} of ${total} bytes; re-sent ${resent}`);
      expect(chunksAlreadyThere(second.stdout) * DEFAULT_CHUNK_BYTES).toBeGreaterThan(sentBeforeKill - CHECKPOINT - WINDOW);
      expect(resent).toBeLessThanOrEqual(CHECKPOINT + WINDOW);
      expect(sha256File(path.join(out, "disk"))).toBe(sha256File(image));
      expect(e2fsckClean(path.join(out, "disk")).isClean).toBe(true);
    } finally {
      receiver.child.kill("SIGKILL");
    }
  }, 180_000);

  it("resumes after the receiver is killed: identical copy, at most a checkpoint interval and a window re-sent", async () => {
    const port = await freePort();
    const out = path.join(dir, "out-receiver-killed");
    const state = path.join(dir, "state-b");
    const receiver = await startReceiver(port, out, false);
    const first = run(senderArgs(port, state));
    const { sentBeforeKill, total } = await killMidway(first, receiver);
    expect(await first.exited).not.toBe(0);
    expect(first.stderr).toMatch(/connection to the receiver lost|receiver/);

    const again = await startReceiver(port, out, true);
    const second = run(senderArgs(port, state));
    expect(await second.exited).toBe(0);
    expect(await again.exited).toBe(0);
    expect(second.stdout).toMatch(/verified (\d+) of \1 chunks/);
    expect(again.stderr).toMatch(/resuming with \d+ chunks in place/);
    const resent = sentBeforeKill + sentBytes(second.stdout) - total;
    expect(chunksAlreadyThere(second.stdout) * DEFAULT_CHUNK_BYTES).toBeGreaterThan(sentBeforeKill - CHECKPOINT - WINDOW);
    console.log(`receiver killed after ${sentBeforeKill} of ${total} bytes; re-sent ${resent}`);
    expect(resent).toBeLessThanOrEqual(CHECKPOINT + WINDOW);
    expect(sha256File(path.join(out, "disk"))).toBe(sha256File(image));
  }, 180_000);
});
