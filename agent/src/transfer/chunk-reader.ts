import type { FileHandle } from "node:fs/promises";
import type { Chunk } from "./chunk-plan";
import { sharedBuffer } from "./hash-pool";

export interface ReadChunk {
  chunk: Chunk;
  /** The chunk's extents' bytes, back to back. */
  data: Buffer;
}

export interface ReadOptions {
  /** One read covers consecutive chunks up to this span: big reads are what makes reading fast. */
  spanBytes?: number;
  /** Reads in flight ahead of the consumer. */
  depth?: number;
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

function groupIntoSpans(chunks: readonly Chunk[], spanBytes: number): Chunk[][] {
  const spans: Chunk[][] = [];
  let current: Chunk[] = [];
  let spanStart = 0;
  for (const c of chunks) {
    const first = c.extents[0]!.start;
    const last = c.extents[c.extents.length - 1]!;
    const end = last.start + last.length;
    if (current.length > 0 && end - spanStart > spanBytes) {
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
  const start = span[0]!.extents[0]!.start;
  const lastChunk = span[span.length - 1]!;
  const lastExtent = lastChunk.extents[lastChunk.extents.length - 1]!;
  // Shared memory, so the hash workers read the chunks where they are.
  const buf = sharedBuffer(lastExtent.start + lastExtent.length - start);
  await readFully(handle, buf, start);
  return span.map((chunk) => {
    const parts = chunk.extents.map((e) => buf.subarray(e.start - start, e.start - start + e.length));
    if (parts.length === 1) return { chunk, data: parts[0]! };
    const data = sharedBuffer(chunk.bytes);
    let o = 0;
    for (const p of parts) o += p.copy(data, o);
    return { chunk, data };
  });
}

/** Reads chunks in order with a few large reads in flight. */
export async function* readChunks(handle: FileHandle, chunks: readonly Chunk[], options: ReadOptions = {}): AsyncGenerator<ReadChunk> {
  const spans = groupIntoSpans(chunks, options.spanBytes ?? 4 * 1024 * 1024);
  const depth = options.depth ?? 4;
  const inflight: Promise<ReadChunk[]>[] = [];
  let next = 0;
  const fill = () => {
    while (inflight.length < depth && next < spans.length) {
      const p = readSpan(handle, spans[next++]!);
      p.catch(() => undefined); // surfaced when awaited below
      inflight.push(p);
    }
  };
  fill();
  while (inflight.length > 0) {
    const batch = await inflight.shift()!;
    fill();
    for (const item of batch) yield item;
  }
}

export async function readOneChunk(handle: FileHandle, chunk: Chunk): Promise<ReadChunk> {
  const [item] = await readSpan(handle, [chunk]);
  return item!;
}
