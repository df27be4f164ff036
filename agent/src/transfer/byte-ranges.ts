/**
 * A byte range of a source disk that has to reach the target.
 * "data" ranges are sent as they are (allocated filesystem blocks, partition tables);
 * "scan" ranges hold content we cannot interpret, so all-zero chunks in them are sent as a
 * tiny ZERO frame instead of their bytes.
 */
export type RangeMode = "data" | "scan";

export interface ByteRange {
  start: number;
  end: number;
  mode: RangeMode;
}

/** Sorts and joins ranges so they are disjoint; where ranges overlap, "data" wins over "scan". */
export function normalizeRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const events: { pos: number; delta: number; isData: boolean }[] = [];
  for (const r of ranges) {
    if (r.end <= r.start) continue;
    events.push({ pos: r.start, delta: 1, isData: r.mode === "data" });
    events.push({ pos: r.end, delta: -1, isData: r.mode === "data" });
  }
  events.sort((a, b) => a.pos - b.pos);
  const out: ByteRange[] = [];
  let data = 0;
  let scan = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.isData) data += e.delta;
    else scan += e.delta;
    const next = events[i + 1];
    if (!next || next.pos === e.pos) continue;
    const mode: RangeMode | null = data > 0 ? "data" : scan > 0 ? "scan" : null;
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
