import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTrees, freePort, runCli, snapshotTree, waitFor, type CliRun } from "./testing/tree-snapshot";

const CLI = path.resolve(import.meta.dirname, "../../../bin/ferry-agent.mjs");
const TOKEN = "files-kill-token-31b7";
const MiB = 1024 * 1024;
const TEMP_NAME = /^\.~ferry-[0-9a-f]{8}-\d+$/;

let work: string;
let src: string;

function lastSent(stderr: string): number {
  const all = [...stderr.matchAll(/^progress files done=\d+ total=\d+ sent=(\d+)$/gm)];
  return all.length ? Number(all[all.length - 1]![1]) : 0;
}

function contentBytes(stdout: string): number {
  return Number(/content (\d+) bytes/.exec(stdout)?.[1] ?? NaN);
}

/** Every file under its final name holds exactly the source's bytes: nothing half-written is visible. */
function expectNoPartialFiles(target: string): void {
  const stack = [""];
  let checked = 0;
  while (stack.length) {
    const rel = stack.pop()!;
    for (const e of fs.readdirSync(path.join(target, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (rel === "" && e.name === ".ferry") continue;
      if (e.isDirectory()) stack.push(r);
      else if (e.isFile() && !TEMP_NAME.test(e.name)) {
        expect(fs.readFileSync(path.join(target, r)).equals(fs.readFileSync(path.join(src, r))), r).toBe(true);
        checked++;
      }
    }
  }
  expect(checked).toBeGreaterThan(0);
}

function send(port: number, extra: string[] = []): CliRun {
  return runCli(CLI, ["send", "--to", `127.0.0.1:${port}`, "--token", TOKEN, "--files", src, "--state", path.join(work, "state"), "--progress", "lines", ...extra]);
}

function receive(port: number, out: string): CliRun {
  return runCli(CLI, ["receive", "--listen", `127.0.0.1:${port}`, "--token", TOKEN, "--out", out, "--checkpoint", "8M"]);
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-files-kill-"));
  src = path.join(work, "src");
  for (let d = 0; d < 8; d++) {
    fs.mkdirSync(path.join(src, `big${d}`), { recursive: true });
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(src, `big${d}`, `f${i}.bin`), crypto.randomBytes(2 * MiB + i));
    fs.mkdirSync(path.join(src, `small${d}`));
    for (let i = 0; i < 150; i++) fs.writeFileSync(path.join(src, `small${d}`, `s${i}`), crypto.randomBytes(3000 + i));
  }
  fs.symlinkSync("big0/f0.bin", path.join(src, "link"));
  fs.linkSync(path.join(src, "big1/f1.bin"), path.join(src, "hard"));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

const TOTAL = 8 * 4 * 2 * MiB;

describe("kill -9 and resume of a file transfer (real processes)", () => {
  it("resumes after the sender is killed: no partial file under a final name, identical result", async () => {
    const port = await freePort();
    const out = path.join(work, "out-sender-killed");
    const receiver = receive(port, out);
    try {
      await waitFor(() => receiver.stderr.includes("listening"), "the receiver");
      const first = send(port, ["--limit", "30M"]);
      await waitFor(() => lastSent(first.stderr) > 24 * MiB || first.child.exitCode !== null, "24 MiB sent");
      first.child.kill("SIGKILL");
      await first.exited;
      await waitFor(() => receiver.stderr.includes("file session ended without verification"), "the receiver to notice");
      expectNoPartialFiles(out);

      const second = send(port);
      expect(await second.exited, second.stderr).toBe(0);
      expect(second.stdout).toContain("verified");
      // What the first run completed stayed in place.
      expect(contentBytes(second.stdout)).toBeLessThan(TOTAL - 8 * MiB);
      expect(diffTrees(snapshotTree(src), snapshotTree(out))).toEqual([]);
    } finally {
      receiver.child.kill("SIGKILL");
      await receiver.exited;
    }
  });

  it("resumes after the receiver is killed: temporary files cleaned, nothing partial, identical result", async () => {
    const port = await freePort();
    const out = path.join(work, "out-receiver-killed");
    let receiver = receive(port, out);
    try {
      await waitFor(() => receiver.stderr.includes("listening"), "the receiver");
      const first = send(port, ["--limit", "30M"]);
      await waitFor(() => lastSent(first.stderr) > 40 * MiB || first.child.exitCode !== null, "40 MiB sent");
      receiver.child.kill("SIGKILL");
      await receiver.exited;
      // A clean exit with its reason, never a crash (the walker is ended mid-call).
      expect(await first.exited, first.stderr).toBe(1);
      expect(first.stderr).toContain("connection to the receiver lost");
      expectNoPartialFiles(out);

      receiver = receive(port, out);
      await waitFor(() => receiver.stderr.includes("listening"), "the receiver again");
      const second = send(port);
      expect(await second.exited, second.stderr).toBe(0);
      // Checkpoints every 8 MiB: most of what arrived before the kill was kept.
      expect(contentBytes(second.stdout)).toBeLessThan(TOTAL - 16 * MiB);
      expect(diffTrees(snapshotTree(src), snapshotTree(out))).toEqual([]);
      expect(execFileSync("find", [out, "-name", ".~ferry-*"]).toString()).toBe("");
    } finally {
      receiver.child.kill("SIGKILL");
      await receiver.exited;
    }
  });
});
