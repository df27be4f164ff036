import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadNativeFs, nativeFsCachePath } from "./native/native-fs";
import { diffTrees, freePort, runCli, snapshotTree, waitFor } from "./testing/tree-snapshot";

const BUILD = path.resolve(import.meta.dirname, "../../../build.mjs");
const TOKEN = "worker-bundles-token-7c1d";

let work: string;
let bundle: string;
let src: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-worker-bundles-"));
  bundle = path.join(work, "ferry-agent.mjs");
  execFileSync(process.execPath, [BUILD, bundle], { stdio: "pipe" });
  // Built (or found) here, so that the agents below need not compile it into their empty caches.
  loadNativeFs();
  src = path.join(work, "src");
  fs.mkdirSync(path.join(src, "a/b"), { recursive: true });
  for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(src, "a", `small${i}.txt`), `file ${i}\n`.repeat(i + 1));
  // Streamed in chunks (over the 1 MiB inline limit), a symlink and a hard link.
  fs.writeFileSync(path.join(src, "a/b/large.bin"), crypto.randomBytes(3 * 1024 * 1024 + 5));
  fs.symlinkSync("../small1.txt", path.join(src, "a/b/link"));
  fs.linkSync(path.join(src, "a/small2.txt"), path.join(src, "a/b/hard"));
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A direct-mode file transfer with the built agent, its cache under `cache`; returns the sender's output. */
async function transfer(name: string, cache: string): Promise<string> {
  const out = path.join(work, `${name}-out`);
  const port = await freePort();
  // The addon this test process uses; no
  // write-helper thread, whatever the number of cores.
  const env = { ...process.env, XDG_CACHE_HOME: cache, FERRY_NATIVE_FS: process.env.FERRY_NATIVE_FS ?? nativeFsCachePath(), FERRY_WRITE_HELPER: "off" };
  const receiver = runCli(bundle, ["receive", "--listen", `127.0.0.1:${port}`, "--token", TOKEN, "--out", out, "--once"], env);
  await waitFor(() => receiver.stderr.includes("listening"), "the receiver", 30_000);
  const sender = runCli(bundle, ["send", "--to", `127.0.0.1:${port}`, "--token", TOKEN, "--files", src, "--state", path.join(work, `${name}-state`)], env);
  expect(await sender.exited, sender.stderr).toBe(0);
  expect(await receiver.exited, receiver.stderr).toBe(0);
  expect(diffTrees(snapshotTree(src), snapshotTree(out, { skipDirMtime: false }))).toEqual([]);
  return sender.stdout;
}

describe("the built agent's worker threads", () => {
  it("start from their own bundles, written once into the agent's cache, and copy a tree faithfully", async () => {
    const cache = path.join(work, "cache");
    expect(await transfer("own", cache)).toMatch(/verified/);
    const written = fs.readdirSync(path.join(cache, "ferry-agent", "workers")).sort();
    expect(written.map((f) => f.replace(/-[0-9a-f]{16}\.mjs$/, ""))).toEqual(["walk", "write"]);
    // Each is a bundle of its own module, a fraction of the agent.
    for (const f of written) expect(fs.statSync(path.join(cache, "ferry-agent", "workers", f)).size).toBeLessThan(fs.statSync(bundle).size / 4);
  }, 120_000);

  it("start from the whole agent when the cache cannot be written", async () => {
    // A cache "folder" that is a file: nothing can be made under it.
    const cache = path.join(work, "not-a-folder");
    fs.writeFileSync(cache, "");
    expect(await transfer("fallback", cache)).toMatch(/verified/);
  }, 120_000);
});
