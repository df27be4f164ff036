import type { MigrationSettings } from "@/server/services/templates/schemas";

/**
 * What the migration options form holds: numbers as typed (so "-5" or "" reach the shared schema,
 * which says what is wrong with them) and exclusions as the textarea's lines.
 */
export type SpeedWindowDraft = { start: string; end: string; limitMbps: string };
export type MigrationSettingsDraft = {
  mode: MigrationSettings["mode"];
  limitMbps: string;
  windows: SpeedWindowDraft[];
  compress: boolean;
  continuousSync: boolean;
  verify: boolean;
  excludes: string;
  startTargetAfterMigration: boolean;
};

export const MAX_SPEED_WINDOWS = 5;

export function draftOfSettings(settings: MigrationSettings): MigrationSettingsDraft {
  return {
    mode: settings.mode,
    limitMbps: settings.limitMbps === null ? "" : String(settings.limitMbps),
    windows: settings.windows.map((w) => ({ start: w.start, end: w.end, limitMbps: String(w.limitMbps) })),
    compress: settings.compress,
    continuousSync: settings.continuousSync,
    verify: settings.verify,
    excludes: settings.excludes.join("\n"),
    startTargetAfterMigration: settings.startTargetAfterMigration,
  };
}

/** An empty field is "no limit"; anything else is parsed, and the schema judges the number. */
function numberOf(text: string): number {
  const trimmed = text.trim();
  return trimmed === "" ? Number.NaN : Number(trimmed);
}

/** The settings as the schema takes them; not yet validated. */
export function settingsOfDraft(draft: MigrationSettingsDraft): MigrationSettings {
  return {
    mode: draft.mode,
    limitMbps: draft.limitMbps.trim() === "" ? null : numberOf(draft.limitMbps),
    windows: draft.windows.map((w) => ({ start: w.start.trim(), end: w.end.trim(), limitMbps: numberOf(w.limitMbps) })),
    compress: draft.compress,
    // Continuous sync exists for block level only (as with SMS).
    continuousSync: draft.mode === "block" && draft.continuousSync,
    verify: draft.verify,
    excludes: draft.mode === "file" ? draft.excludes.split("\n").map((line) => line.trim()).filter(Boolean) : [],
    startTargetAfterMigration: draft.startTargetAfterMigration,
  };
}

/** "No limit", "100 Mbit/s", "100 Mbit/s, 2 windows". */
export function describeLimit(settings: Pick<MigrationSettings, "limitMbps" | "windows">): string {
  const base = settings.limitMbps === null ? "No limit" : `${settings.limitMbps} Mbit/s`;
  if (!settings.windows.length) return base;
  return `${base}; ${settings.windows.map((w) => `${w.start}–${w.end} ${w.limitMbps} Mbit/s`).join(", ")}`;
}
