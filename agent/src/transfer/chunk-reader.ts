import type { FileHandle } from "node:fs/promises";
import { bufferPool, releaseAfter } from "./buffer-pool";
import type { Chunk } from "./chunk-plan";

export interface ReadChunk {
  chunk: Chunk;
  /** The chunk's extents' bytes, in order: views into a shared read buffer, not copies. */
  parts: Buffer[];
  /** Hands the read buffer back once this chunk's bytes are no longer needed. */
  release: () => void;
}

export interface ReadOptions {
  /** One read covers consecutive chunks up to this span: big reads are what makes reading fast. */
  spanBytes?: number;
  /** Reads in flight ahead of the consumer. */
  depth?: number;
  /** Called with each span's length before it is read (a read-rate limit waits here). */
  beforeRead?: (bytes: number) => Promise<void> | void;
}

async function readFully(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) {
      buf.fill(0, done);
      return;
    }
    done += bytesRead;
  }
}

/** Zeros standing in for the bytes of hole chunks (never written to: parts are only read). */
let zeros = Buffer.alloc(0);

function zeroParts(chunk: Chunk): Buffer[] {
  const longest = Math.max(...chunk.extents.map((e) => e.length));
  if (zeros.length < longest) zeros = Buffer.alloc(longest);
  return chunk.extents.map((e) => zeros.subarray(0, e.length));
}

/** Consecutive chunks up to spanBytes per span; hole chunks never share a span with read ones. */
function groupIntoSpans(chunks: readonly Chunk[], spanBytes: number): Chunk[][] {
  const spans: Chunk[][] = [];
  let current: Chunk[] = [];
  let spanStart = 0;
  for (const c of chunks) {
    const first = c.extents[0]!.start;
    const last = c.extents[c.extents.length - 1]!;
    const end = last.start + last.length;
    if (current.length > 0 && (end - spanStart > spanBytes || c.isHole !== current[0]!.isHole)) {
      spans.push(current);
      current = [];
    }
    if (current.length === 0) spanStart = first;
    current.push(c);
  }
  if (current.length > 0) spans.push(current);
  return spans;
}

async function readSpan(handle: FileHandle, span: Chunk[]): Promise<ReadChunk[]> {
  if (span[0]!.isHole) return span.map((chunk) => ({ chunk, parts: zeroParts(chunk), release: () => undefined }));
  const start = span[0]!.extents[0]!.start;
  const lastChunk = span[span.length - 1]!;
  const lastExtent = lastChunk.extents[lastChunk.extents.length - 1]!;
  const pooled = bufferPool.acquire(lastExtent.start + lastExtent.length - start);
  try {
    await readFully(handle, pooled.buf, start);
  } catch (error) {
    pooled.release();
    throw error;
  }
  const release = releaseAfter(span.length, pooled.release);
  return span.map((chunk) => ({
    chunk,
    parts: chunk.extents.map((e) => pooled.buf.subarray(e.start - start, e.start - start + e.length)),
    release,
  }));
}

/** Reads chunks in order with a few large reads in flight. */
export async function* readChunks(handle: FileHandle, chunks: readonly Chunk[], options: ReadOptions = {}): AsyncGenerator<ReadChunk> {
  const spans = groupIntoSpans(chunks, options.spanBytes ?? 4 * 1024 * 1024);
  const depth = options.depth ?? 4;
  const inflight: Promise<ReadChunk[]>[] = [];
  let next = 0;
  let gate: Promise<void> = Promise.resolve();
  const fill = () => {
    while (inflight.length < depth && next < spans.length) {
      const span = spans[next++]!;
      const before = options.beforeRead;
      let p: Promise<ReadChunk[]>;
      if (before && !span[0]!.isHole) {
        const first = span[0]!.extents[0]!.start;
        const last = span[span.length - 1]!.extents.at(-1)!;
        gate = gate.then(() => before(last.start + last.length - first));
        p = gate.then(() => readSpan(handle, span));
      } else p = readSpan(handle, span);
      p.catch(() => undefined); // surfaced when awaited below
      inflight.push(p);
    }
  };
  fill();
  try {
    while (inflight.length > 0) {
      const batch = await inflight.shift()!;
      fill();
      for (const item of batch) yield item;
    }
  } finally {
    // An early exit (error, stop) must not leave reads writing into buffers handed back.
    for (const p of inflight) void p.then((batch) => batch.forEach((c) => c.release()), () => undefined);
  }
}

export async function readOneChunk(handle: FileHandle, chunk: Chunk): Promise<ReadChunk> {
  const [item] = await readSpan(handle, [chunk]);
  return item!;
}
