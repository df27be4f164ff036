/**
 * Reusable large buffers for reads and received frames: a fresh buffer per chunk costs allocation,
 * zero-fill, page faults and garbage collection. Buffers come from free lists by power-of-two size
 * class and go back once every user of them has finished. Plain ArrayBuffers, not shared ones:
 * V8 copies into and out of a SharedArrayBuffer with a slow byte-safe memmove.
 */
const MIN_CLASS_BYTES = 64 * 1024;
/** Idle buffers kept per class; beyond this a released buffer is left to the GC. */
const MAX_IDLE_PER_CLASS = 64;

export interface PooledBuffer {
  /** Exactly the requested length (a view of a possibly larger shared buffer). */
  buf: Buffer;
  release(): void;
}

function sizeClass(length: number): number {
  let c = MIN_CLASS_BYTES;
  while (c < length) c *= 2;
  return c;
}

export class BufferPool {
  private readonly idle = new Map<number, ArrayBuffer[]>();

  acquire(length: number): PooledBuffer {
    const cls = sizeClass(length);
    const list = this.idle.get(cls);
    const ab = list?.pop() ?? new ArrayBuffer(cls);
    let isReleased = false;
    return {
      buf: Buffer.from(ab, 0, length),
      release: () => {
        if (isReleased) return;
        isReleased = true;
        const l = this.idle.get(cls) ?? [];
        if (l.length < MAX_IDLE_PER_CLASS) l.push(ab);
        this.idle.set(cls, l);
      },
    };
  }
}

/** Releases a pooled buffer once `count` users have each called the returned function. */
export function releaseAfter(count: number, release: () => void): () => void {
  let left = count;
  if (left <= 0) release();
  return () => {
    if (--left === 0) release();
  };
}

export const bufferPool = new BufferPool();
