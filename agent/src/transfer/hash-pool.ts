import { Worker } from "node:worker_threads";

/**
 * SHA-256 of chunks on worker threads, so hashing overlaps reading, TLS and writing instead of
 * taking a third of the main thread. Buffers backed by a SharedArrayBuffer are hashed in place;
 * others are copied once into the message. The worker is inline JS so it runs the same from the
 * TypeScript sources (tsx hooks do not reach workers) and from a bundled build.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const crypto = require("node:crypto");
parentPort.on("message", ({ id, tag, parts }) => {
  const h = crypto.createHash("sha256");
  h.update(Uint8Array.of(tag));
  for (const p of parts) h.update(p);
  const digest = h.digest();
  parentPort.postMessage({ id, digest: digest.buffer.slice(digest.byteOffset, digest.byteOffset + 32) });
});
`;

export function sharedBuffer(length: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(length));
}

export function isShared(buf: Uint8Array): boolean {
  return buf.buffer instanceof SharedArrayBuffer;
}

export class HashPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, (digest: Buffer) => void>();
  private nextId = 0;
  private turn = 0;

  constructor(size = 2) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.on("message", ({ id, digest }: { id: number; digest: ArrayBuffer }) => {
        const resolve = this.waiting.get(id);
        this.waiting.delete(id);
        resolve?.(Buffer.from(digest));
      });
      w.unref();
      this.workers.push(w);
    }
  }

  /** SHA-256 over a one-byte tag and the parts, as hashChunk computes it. */
  hash(tag: number, parts: readonly Uint8Array[]): Promise<Buffer> {
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({ id, tag, parts });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
