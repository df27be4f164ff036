import type { TaskState } from "@/server/services/tasks/state-machine";

type Tone = "neutral" | "info" | "success" | "warning" | "danger";

/** SMS's state names, with what they mean in plain words. */
export const TASK_STATE_LABELS: Record<TaskState, { label: string; tone: Tone }> = {
  READY: { label: "Ready", tone: "neutral" },
  RUNNING: { label: "Migrating", tone: "info" },
  SYNCING: { label: "Syncing", tone: "info" },
  MIGRATE_SUCCESS: { label: "Migrated", tone: "success" },
  MIGRATE_FAIL: { label: "Migration failed", tone: "danger" },
  ABORTING: { label: "Stopping", tone: "warning" },
  ABORT: { label: "Stopped", tone: "warning" },
  DELETING: { label: "Deleting", tone: "neutral" },
  SYNC_F_ROLLBACKING: { label: "Sync failed, rolling back", tone: "danger" },
  SYNC_F_ROLLBACK_SUCCESS: { label: "Rolled back after a failed sync", tone: "warning" },
  LAUNCHING: { label: "Launching target", tone: "info" },
  LAUNCHED: { label: "Target launched", tone: "success" },
};

/** States in which the agents work and the page should follow them closely. */
export const LIVE_TASK_STATES: readonly TaskState[] = ["RUNNING", "SYNCING", "ABORTING", "SYNC_F_ROLLBACKING", "LAUNCHING"];
export const isLiveState = (state: TaskState) => LIVE_TASK_STATES.includes(state);

/** How often a page with a working task asks again: within the 2 s the live view promises. */
export const LIVE_REFRESH_MS = 1500;
export const IDLE_REFRESH_MS = 5000;

const RATE_UNITS = ["B/s", "KiB/s", "MiB/s", "GiB/s"];

/** "12.3 MiB/s (103 Mbit/s)". */
export function formatRate(bytesPerSecond: number | null | undefined, withBits = false): string {
  if (!bytesPerSecond || bytesPerSecond <= 0) return "—";
  let amount = bytesPerSecond;
  let unit = 0;
  while (amount >= 1024 && unit < RATE_UNITS.length - 1) {
    amount /= 1024;
    unit++;
  }
  const text = `${amount.toFixed(amount >= 100 || unit === 0 ? 0 : 1)} ${RATE_UNITS[unit]}`;
  return withBits ? `${text} (${Math.round((bytesPerSecond * 8) / 1_000_000)} Mbit/s)` : text;
}

/** "45 s", "12 min", "3 h 20 min", "2 d 4 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** Time between two moments, or until now while still running. */
export function elapsedSeconds(from: Date | string | null, to: Date | string | null, now = Date.now()): number | null {
  if (!from) return null;
  return ((to ? new Date(to).getTime() : now) - new Date(from).getTime()) / 1000;
}
