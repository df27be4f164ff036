import os from "node:os";
import { Worker } from "node:worker_threads";
import { HASH_BYTES, MERKLE_SOURCE, WINDOW_BYTES, hashChunkData, type ChunkDigest } from "./chunk-hash";

/**
 * Chunk hashes on worker threads, so hashing overlaps reading, TLS and writing instead of taking
 * the main thread. Parts backed by a SharedArrayBuffer (see buffer-pool.ts) are hashed in place;
 * others are copied into the message. The worker is inline JS so it runs the same from the
 * TypeScript sources and from a bundled build.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const crypto = require("node:crypto");
${MERKLE_SOURCE}
parentPort.on("message", ({ id, ext, parts }) => {
  try {
    const { root, windows } = merkle(crypto, ext, parts, ${WINDOW_BYTES});
    const out = new Uint8Array(root.length + windows.length);
    out.set(root, 0);
    out.set(windows, root.length);
    parentPort.postMessage({ id, out: out.buffer }, [out.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

interface Waiter {
  resolve: (d: ChunkDigest) => void;
  reject: (e: Error) => void;
}

export class HashPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, Waiter>();
  private readonly load: number[] = [];
  private readonly owner = new Map<number, number>();
  private nextId = 0;

  /** size 0 hashes on the calling thread (for measuring what the workers buy). */
  constructor(size = Number(process.env.FERRY_HASH_WORKERS ?? Math.min(2, os.availableParallelism()))) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.on("message", (m: { id: number; out?: ArrayBuffer; error?: string }) => {
        const waiter = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        this.load[this.owner.get(m.id)!]!--;
        this.owner.delete(m.id);
        if (!waiter) return;
        if (m.error !== undefined) return waiter.reject(new Error(m.error));
        const out = Buffer.from(m.out!);
        waiter.resolve({ root: out.subarray(0, HASH_BYTES), windows: out.subarray(HASH_BYTES) });
      });
      w.unref();
      this.workers.push(w);
      this.load.push(0);
    }
  }

  /** The chunk's tree hash (see chunk-hash.ts) over its extent list and data parts. */
  hash(extents: Uint8Array, parts: readonly Uint8Array[]): Promise<ChunkDigest> {
    if (this.workers.length === 0) {
      try {
        return Promise.resolve(hashChunkData(extents, parts));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    const id = this.nextId++;
    // The least busy worker: chunks differ in size, so round robin would let one queue grow.
    let k = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[k]!) k = i;
    this.load[k]!++;
    this.owner.set(id, k);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.workers[k]!.postMessage({ id, ext: extents, parts });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
