"use client";

import { useId } from "react";
import { Button } from "@/components/ui/button";
import { CheckboxField } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { Fieldset } from "@/components/ui/fieldset";
import { RadioOption } from "@/components/ui/radio";
import { TextareaField } from "@/components/ui/textarea";
import { firstIssueAt, type IssueMap } from "./issues";
import { MAX_SPEED_WINDOWS, type MigrationSettingsDraft, type SpeedWindowDraft } from "./migration-settings-draft";

const timeInput = "w-24 rounded-md border bg-white px-2 py-1.5 font-mono text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-brand-600";

/** Why a level cannot be chosen here, or null when it can. */
export type ModeAvailability = { block: string | null; file: string | null };

export function ModeFields({
  mode,
  onChange,
  unavailable = { block: null, file: null },
  error,
}: {
  mode: MigrationSettingsDraft["mode"];
  onChange: (mode: MigrationSettingsDraft["mode"]) => void;
  unavailable?: ModeAvailability;
  error?: string;
}) {
  return (
    <Fieldset legend="Migration level" role="radiogroup" error={error}>
      <div className="grid gap-2 sm:grid-cols-2">
        <RadioOption
          name="mode"
          value="block"
          label="Block level"
          checked={mode === "block"}
          disabled={unavailable.block !== null}
          onChange={() => onChange("block")}
          description={unavailable.block ? `Not available: ${unavailable.block}` : "Copies the used blocks of whole disks; the target boots as the source did. Supports continuous sync."}
        />
        <RadioOption
          name="mode"
          value="file"
          label="File level"
          checked={mode === "file"}
          disabled={unavailable.file !== null}
          onChange={() => onChange("file")}
          description={unavailable.file ? `Not available: ${unavailable.file}` : "Copies files into a folder on the target, or onto its disks prepared like the source's; exclusions possible. Syncs run by hand."}
        />
      </div>
    </Fieldset>
  );
}

/**
 * The options of a migration (everything but the level): speed limit and daily windows,
 * compression, continuous sync, verification, exclusions, start after migration. Errors come keyed
 * by their path inside the settings ("limitMbps", "windows.0.start").
 */
export function MigrationOptionsFields({
  draft,
  onChange,
  errors,
  disabled = false,
}: {
  draft: MigrationSettingsDraft;
  onChange: (draft: MigrationSettingsDraft) => void;
  errors: IssueMap;
  disabled?: boolean;
}) {
  const uid = useId();
  const set = (patch: Partial<MigrationSettingsDraft>) => onChange({ ...draft, ...patch });
  const setWindow = (index: number, patch: Partial<SpeedWindowDraft>) => set({ windows: draft.windows.map((w, i) => (i === index ? { ...w, ...patch } : w)) });
  const isFile = draft.mode === "file";

  return (
    <div className="space-y-5">
      <div className="max-w-xs">
        <Field
          label="Speed limit (Mbit/s)"
          inputMode="decimal"
          value={draft.limitMbps}
          placeholder="No limit"
          disabled={disabled}
          onChange={(e) => set({ limitMbps: e.target.value })}
          error={errors.limitMbps}
          hint="Leave empty for no limit. Applies outside the windows below."
        />
      </div>

      <Fieldset legend="Daily speed windows" hint={`Up to ${MAX_SPEED_WINDOWS}. A window may wrap past midnight (22:00–06:00); the first that contains the time applies.`} error={errors.windows}>
        {draft.windows.length === 0 ? <p className="text-sm text-slate-500">No windows: the speed limit above applies all day.</p> : null}
        <ol className="space-y-2">
          {draft.windows.map((w, index) => {
            const n = index + 1;
            const startError = errors[`windows.${index}.start`];
            const endError = errors[`windows.${index}.end`];
            const limitError = errors[`windows.${index}.limitMbps`];
            const errorId = `${uid}-window-${n}-errors`;
            const messages = [startError, endError, limitError].filter(Boolean);
            return (
              <li key={index} className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2">
                <div className="flex flex-wrap items-center gap-2 text-sm">
                  <span className="font-medium text-slate-700">Window {n}</span>
                  <input
                    aria-label={`Window ${n} start`}
                    className={`${timeInput} ${startError ? "border-red-500" : "border-slate-300"}`}
                    placeholder="HH:MM"
                    value={w.start}
                    disabled={disabled}
                    aria-invalid={startError ? true : undefined}
                    aria-describedby={startError ? errorId : undefined}
                    onChange={(e) => setWindow(index, { start: e.target.value })}
                  />
                  <span aria-hidden="true">to</span>
                  <input
                    aria-label={`Window ${n} end`}
                    className={`${timeInput} ${endError ? "border-red-500" : "border-slate-300"}`}
                    placeholder="HH:MM"
                    value={w.end}
                    disabled={disabled}
                    aria-invalid={endError ? true : undefined}
                    aria-describedby={endError ? errorId : undefined}
                    onChange={(e) => setWindow(index, { end: e.target.value })}
                  />
                  <input
                    aria-label={`Window ${n} limit (Mbit/s)`}
                    className={`w-28 rounded-md border bg-white px-2 py-1.5 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-brand-600 ${limitError ? "border-red-500" : "border-slate-300"}`}
                    inputMode="decimal"
                    placeholder="Mbit/s"
                    value={w.limitMbps}
                    disabled={disabled}
                    aria-invalid={limitError ? true : undefined}
                    aria-describedby={limitError ? errorId : undefined}
                    onChange={(e) => setWindow(index, { limitMbps: e.target.value })}
                  />
                  <span className="text-slate-600">Mbit/s</span>
                  <Button type="button" variant="ghost" disabled={disabled} onClick={() => set({ windows: draft.windows.filter((_, i) => i !== index) })}>
                    Remove window {n}
                  </Button>
                </div>
                {messages.length ? (
                  <p id={errorId} className="mt-1 text-sm text-red-600">
                    {[startError && `Start: ${startError}`, endError && `End: ${endError}`, limitError && `Limit: ${limitError}`].filter(Boolean).join(". ")}
                  </p>
                ) : null}
              </li>
            );
          })}
        </ol>
        <Button
          type="button"
          variant="secondary"
          disabled={disabled || draft.windows.length >= MAX_SPEED_WINDOWS}
          onClick={() => set({ windows: [...draft.windows, { start: "08:00", end: "18:00", limitMbps: "100" }] })}
        >
          Add speed window
        </Button>
      </Fieldset>

      <Fieldset legend="Copy">
        <CheckboxField label="Compress data in transit" hint="Helps on slow links with compressible data; costs CPU on both ends." checked={draft.compress} disabled={disabled} onChange={(e) => set({ compress: e.target.checked })} />
        <CheckboxField
          label="Continuous sync after the full copy"
          hint={isFile ? "Block level only: file-level tasks sync when you ask." : "Keeps sending changes until you launch the target server."}
          checked={!isFile && draft.continuousSync}
          disabled={disabled || isFile}
          error={errors.continuousSync}
          onChange={(e) => set({ continuousSync: e.target.checked })}
        />
        <CheckboxField label="Verify the copy" hint="Compares hashes of everything copied at the end of each pass." checked={draft.verify} disabled={disabled} onChange={(e) => set({ verify: e.target.checked })} />
        <CheckboxField
          label="Start the target server after migration"
          hint="Launches the target as soon as the copy verified, without waiting for you."
          checked={draft.startTargetAfterMigration}
          disabled={disabled}
          onChange={(e) => set({ startTargetAfterMigration: e.target.checked })}
        />
      </Fieldset>

      {isFile ? (
        <TextareaField
          label="Exclusions"
          isCode
          rows={4}
          value={draft.excludes}
          disabled={disabled}
          placeholder={"/var/cache/**\n/tmp/**"}
          onChange={(e) => set({ excludes: e.target.value })}
          error={firstIssueAt(errors, "excludes")}
          hint="One glob pattern per line; matching files and folders are not copied."
        />
      ) : null}
    </div>
  );
}
