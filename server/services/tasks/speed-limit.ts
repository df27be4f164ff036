import type { MigrationSettings } from "../templates/schemas";

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  return h * 60 + m;
}

/**
 * The limit in force at `now` (server local time): the first window that contains the time, else
 * the task's own limit. A window may wrap past midnight (22:00–06:00).
 */
export function limitBytesPerSecondAt(settings: Pick<MigrationSettings, "limitMbps" | "windows">, now: Date): number | null {
  const minute = now.getHours() * 60 + now.getMinutes();
  for (const window of settings.windows) {
    const start = minutesOf(window.start);
    const end = minutesOf(window.end);
    const isInside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
    if (isInside) return Math.round((window.limitMbps * 1_000_000) / 8);
  }
  return settings.limitMbps === null ? null : Math.round((settings.limitMbps * 1_000_000) / 8);
}
