/**
 * A byte range of a source disk that has to reach the target.
 * "data" ranges are sent as they are (allocated filesystem blocks, partition tables);
 * "scan" ranges hold content we cannot interpret, so all-zero chunks in them are sent as a
 * tiny ZERO frame instead of their bytes;
 * "hole" ranges are scan ranges that lie in holes of a sparse source file: known to be zeros,
 * so they are not even read (layout/sparse-holes.ts), yet still reach the target as zeros.
 */
export type RangeMode = "data" | "scan" | "hole";

export interface ByteRange {
  start: number;
  end: number;
  mode: RangeMode;
}

/**
 * Sorts and joins ranges so they are disjoint; where ranges overlap, "data" wins over "scan",
 * and both over "hole" (bytes something must read are read).
 */
export function normalizeRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const events: { pos: number; delta: number; mode: RangeMode }[] = [];
  for (const r of ranges) {
    if (r.end <= r.start) continue;
    events.push({ pos: r.start, delta: 1, mode: r.mode });
    events.push({ pos: r.end, delta: -1, mode: r.mode });
  }
  events.sort((a, b) => a.pos - b.pos);
  const out: ByteRange[] = [];
  const open: Record<RangeMode, number> = { data: 0, scan: 0, hole: 0 };
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    open[e.mode] += e.delta;
    const next = events[i + 1];
    if (!next || next.pos === e.pos) continue;
    const mode: RangeMode | null = open.data > 0 ? "data" : open.scan > 0 ? "scan" : open.hole > 0 ? "hole" : null;
    if (!mode) continue;
    const last = out[out.length - 1];
    if (last && last.end === e.pos && last.mode === mode) last.end = next.pos;
    else out.push({ start: e.pos, end: next.pos, mode });
  }
  return out;
}

/** The parts of [start, end) not covered by `covered` (which must be sorted and disjoint). */
export function complementRanges(
  start: number,
  end: number,
  covered: readonly { start: number; end: number }[],
): { start: number; end: number }[] {
  const gaps: { start: number; end: number }[] = [];
  let cursor = start;
  for (const c of covered) {
    if (c.start > cursor) gaps.push({ start: cursor, end: Math.min(c.start, end) });
    cursor = Math.max(cursor, c.end);
    if (cursor >= end) break;
  }
  if (cursor < end) gaps.push({ start: cursor, end });
  return gaps.filter((g) => g.end > g.start);
}

export function sumRangeBytes(ranges: readonly { start: number; end: number }[]): number {
  let total = 0;
  for (const r of ranges) total += r.end - r.start;
  return total;
}
