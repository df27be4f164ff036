import { TokenBucket } from "./token-bucket";

/** A rate for part of every day; "end" before "start" wraps past midnight. null: no limit. */
export interface LimitWindow {
  startMinute: number;
  endMinute: number;
  bytesPerSecond: number | null;
}

export const MAX_LIMIT_WINDOWS = 5;

/** "08:00-18:00" → minutes of the day, or null. */
export function parseWindowTimes(text: string): { startMinute: number; endMinute: number } | null {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) return null;
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  if (h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59) return null;
  const startMinute = h1 * 60 + m1;
  const endMinute = h2 * 60 + m2;
  if (startMinute > 1440 || endMinute > 1440 || startMinute === endMinute) return null;
  return { startMinute, endMinute };
}

function isInside(w: LimitWindow, minute: number): boolean {
  return w.startMinute < w.endMinute ? minute >= w.startMinute && minute < w.endMinute : minute >= w.startMinute || minute < w.endMinute;
}

/**
 * The sending rate, from three sources: the base limit (--limit) or, inside one of up to five
 * daily windows, that window's rate; an override set while running (a control file, SIGHUP),
 * which replaces both until cleared; and a cap the receiver asks for, which always applies.
 */
export class SpeedLimit {
  private override: number | null | undefined = undefined;
  private receiverCap: number | null = null;
  private bucket: TokenBucket | null = null;
  private rate: number | null = null;

  constructor(
    private readonly base: number | null = null,
    private readonly windows: readonly LimitWindow[] = [],
    private readonly now: () => Date = () => new Date(),
  ) {
    if (windows.length > MAX_LIMIT_WINDOWS) throw new Error(`at most ${MAX_LIMIT_WINDOWS} limit windows`);
  }

  /** A rate that replaces the base limit and the windows (null: none); undefined clears it. */
  setOverride(bytesPerSecond: number | null | undefined): void {
    this.override = bytesPerSecond;
  }

  setReceiverCap(bytesPerSecond: number | null): void {
    this.receiverCap = bytesPerSecond;
  }

  /** The limit in force now, in bytes per second, or null for none. */
  currentRate(): number | null {
    let r: number | null;
    if (this.override !== undefined) r = this.override;
    else {
      const d = this.now();
      const minute = d.getHours() * 60 + d.getMinutes();
      const w = this.windows.find((x) => isInside(x, minute));
      r = w ? w.bytesPerSecond : this.base;
    }
    if (this.receiverCap !== null) r = r === null ? this.receiverCap : Math.min(r, this.receiverCap);
    return r;
  }

  async take(bytes: number): Promise<void> {
    const rate = this.currentRate();
    if (rate !== this.rate) {
      this.rate = rate;
      if (rate === null) this.bucket = null;
      else if (this.bucket) this.bucket.setRate(rate);
      else this.bucket = new TokenBucket(rate);
    }
    if (this.bucket) await this.bucket.take(bytes);
  }
}
