import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CHUNK_BYTES } from "./chunk-plan";
import { detectValidLayout } from "./layout/valid-ranges";
import { startReceiver } from "./receiver";
import { sendDisks } from "./sender";
import { makeTempDir, sha256File } from "./testing/disk-images";
import { fillRandom } from "./testing/partition-checks";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TOKEN = "sparse-test-token-3b7f";
/** Where the source holds data: unaligned starts, a piece at the very end, zeros written as data. */
const PIECES = [
  { start: 3 * MiB + 123, length: MiB },
  { start: 100 * MiB, length: 2 * MiB },
  { start: 512 * MiB - 4096, length: MiB },
  { start: 700 * MiB + 77, length: 300_000 },
  { start: GiB - MiB, length: MiB },
];
const DATA_BYTES = PIECES.reduce((n, p) => n + p.length, 0);

describe("a sparse 1 GiB image file of unknown content", () => {
  let dir: string;
  let source: string;
  beforeAll(() => {
    dir = makeTempDir("sparse");
    source = path.join(dir, "unknown.img");
    fs.writeFileSync(source, Buffer.alloc(0));
    fs.truncateSync(source, GiB);
    PIECES.forEach((p, i) => fillRandom(source, p.start, p.length, 50 + i));
    // Zeros written as data are not a hole: read, found all zero, sent as a ZERO frame.
    const fd = fs.openSync(source, "r+");
    fs.writeSync(fd, Buffer.alloc(MiB), 0, MiB, 300 * MiB);
    // An image at rest: before writeback, the kernel may report data by whole page-cache folios.
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function send(outDir: string, maps?: Record<string, string>) {
    const receiver = await startReceiver({ host: "127.0.0.1", port: 0, credentials: { kind: "token", token: TOKEN }, outDir, maps });
    try {
      const started = performance.now();
      const [result] = await sendDisks({
        host: "127.0.0.1",
        port: receiver.address.port,
        credentials: { kind: "token", token: TOKEN },
        disks: [{ path: source, name: "img" }],
        isSync: false,
        stateDir: path.join(dir, "sender-state"),
      });
      return { result: result!, ms: performance.now() - started };
    } finally {
      await receiver.close();
    }
  }

  it("reads and sends about its data, not the gigabyte, and round-trips byte for byte", async () => {
    const out = path.join(dir, "out");
    const { result } = await send(out);
    expect(result.layout.table).toBe("none");
    expect(result.layout.regions.map((r) => r.content)).toEqual(["unknown"]);
    // The chunks around each piece (and the written zeros) are scanned; the rest is holes.
    const scanned = result.layout.scanBytes;
    expect(scanned).toBeGreaterThanOrEqual(DATA_BYTES + MiB);
    expect(scanned).toBeLessThan(DATA_BYTES + MiB + PIECES.length * 2 * DEFAULT_CHUNK_BYTES);
    const fh = await fsp.open(source, "r");
    const layout = await detectValidLayout(fh, GiB).finally(() => fh.close());
    expect(layout.holeBytes).toBe(GiB - scanned);
    expect(result.rawSentBytes).toBeLessThan(scanned + 64 * 1024);
    expect(result.verifiedChunks).toBe(result.chunks);
    const target = path.join(out, "img");
    expect(fs.statSync(target).size).toBe(GiB);
    expect(sha256File(target)).toBe(sha256File(source));
    // A fresh target file keeps the holes.
    expect(fs.statSync(target).blocks * 512).toBeLessThan(scanned + 4 * MiB);
  });

  it("writes the holes' zeros over a target that held other bytes there", async () => {
    const out = path.join(dir, "out-old");
    const target = path.join(dir, "old-target.img");
    fs.writeFileSync(target, Buffer.alloc(0));
    fs.truncateSync(target, GiB);
    for (const at of [0, 200 * MiB, 900 * MiB]) fillRandom(target, at, MiB, at);
    await send(out, { img: target });
    expect(sha256File(target)).toBe(sha256File(source));
  });
});
