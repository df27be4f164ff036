"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { useAllowedActions } from "@/components/iam/use-allowed-actions";
import { draftOfSettings, type MigrationSettingsDraft } from "@/components/templates/migration-settings-draft";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { PageHeader } from "@/components/ui/page-header";
import { Stepper } from "@/components/ui/stepper";
import { DEFAULT_MIGRATION_SETTINGS } from "@/server/services/templates/schemas";
import { SourceStep } from "./step-1-source";
import { TargetStep } from "./step-2-target";
import { ConfirmStep } from "./step-3-confirm";
import {
  autoMapDisks,
  autoMapPrepared,
  createInputOf,
  diskRowProblems,
  fileTargetUnavailability,
  INITIAL_WIZARD_STATE,
  modeUnavailability,
  preparedDiskProblems,
  validateConfirmStep,
  validateSourceStep,
  validateTargetStep,
  type WizardContext,
  type WizardState,
} from "./wizard-model";

const STEPS = ["Select source", "Configure target", "Confirm"];

/**
 * The three-step task wizard. All it holds lives here, so going back and forth keeps what was
 * typed; each step is checked with the server's schema before the next one shows.
 */
export function NewTaskWizard() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { can, isLoading: isLoadingPermissions } = useAllowedActions();
  const [step, setStep] = useState(0);
  const [state, setState] = useState<WizardState>(INITIAL_WIZARD_STATE);
  // After a refused Next the step's errors follow every change, so a fixed field clears at once.
  const [attemptedStep, setAttemptedStep] = useState<number | null>(null);
  const [serverError, setServerError] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const shownStep = useRef(step);

  // Moving to another step puts the focus on its heading, so a screen reader announces it.
  useEffect(() => {
    if (shownStep.current === step) return;
    shownStep.current = step;
    headingRef.current?.focus();
  }, [step]);

  const sources = useQuery({ ...trpc.servers.list.queryOptions({ role: "source", pageSize: 100 }), refetchInterval: 10_000 });
  const targets = useQuery({ ...trpc.servers.list.queryOptions({ role: "target", pageSize: 100 }), refetchInterval: 10_000 });
  const migrationTemplates = useQuery(trpc.templates.migration.list.queryOptions());
  const serverTemplates = useQuery(trpc.templates.server.list.queryOptions());
  const source = useQuery({ ...trpc.servers.get.queryOptions({ serverId: state.sourceServerId }), enabled: state.sourceServerId !== "" });

  const sourceItems = sources.data?.items ?? [];
  const targetItems = targets.data?.items ?? [];
  const sourceSummary = sourceItems.find((s) => s.id === state.sourceServerId);
  const targetSummary = targetItems.find((t) => t.id === state.targetServerId);
  const serverTemplate = serverTemplates.data?.find((t) => t.id === state.serverTemplateId);
  const defaultTemplate = migrationTemplates.data?.find((t) => t.isDefault);
  const sourceDisks = source.data?.report.disks ?? [];
  const context: WizardContext = {
    sourceDisks,
    feasibility: source.data?.feasibility ?? null,
    target: targetSummary ? { hostname: targetSummary.hostname, connection: targetSummary.connection, capabilities: targetSummary.targetCapabilities } : null,
  };

  // What the user has not chosen yet comes from the account's default template, the server
  // template's mapping policy and the two host names.
  const migrationTemplateId = state.migrationTemplateId ?? defaultTemplate?.id ?? "";
  const settings: MigrationSettingsDraft = state.settings ?? defaultSettings();
  function defaultSettings(): MigrationSettingsDraft {
    const draft = draftOfSettings(defaultTemplate?.settings ?? DEFAULT_MIGRATION_SETTINGS);
    const unavailable = modeUnavailability(context);
    if (unavailable[draft.mode] && !unavailable[draft.mode === "block" ? "file" : "block"]) draft.mode = draft.mode === "block" ? "file" : "block";
    return draft;
  }
  const targetDisks = context.target?.capabilities?.disks ?? [];
  const mapping = state.mapping ?? autoMapDisks(sourceDisks, targetDisks, serverTemplate?.settings.diskMappingPolicy ?? "smallest-fit");
  // File level goes into a folder unless the target offers none (then onto its disks).
  const whereUnavailable = fileTargetUnavailability(context);
  const fileTarget = state.fileTarget ?? (whereUnavailable.folder && !whereUnavailable.disks ? "disks" : "folder");
  const prepareMapping = state.prepareMapping ?? autoMapPrepared(sourceDisks, targetDisks);
  const suggestedName = sourceSummary ? `${sourceSummary.hostname} to ${targetSummary?.hostname ?? "target"}`.slice(0, 64) : "";
  const name = state.name ?? suggestedName;
  const input = createInputOf(state, settings, mapping, name, sourceDisks, { fileTarget, mapping: prepareMapping });

  const update = (patch: Partial<WizardState>) => setState((current) => ({ ...current, ...patch }));

  const estimate = useQuery({
    ...trpc.tasks.estimate.queryOptions({ sourceServerId: state.sourceServerId, mode: input.settings.mode, sourceDisks: input.diskMapping.map((d) => d.sourceDisk) }),
    enabled: step === 2 && state.sourceServerId !== "",
  });

  const create = useMutation(
    trpc.tasks.create.mutationOptions({
      onSuccess: async (task) => {
        await queryClient.invalidateQueries({ queryKey: trpc.tasks.list.queryKey() });
        router.push(`/tasks/${task.id}`);
      },
      onError: (e) => setServerError(errorMessage(e)),
    }),
  );

  function validateStep(which: number): Record<string, string> {
    if (which === 0) return validateSourceStep(state);
    if (which === 1) return validateTargetStep(input, context, mapping);
    // Everything again, in case something changed underneath (a target went offline).
    return { ...validateTargetStep(input, context, mapping), ...validateConfirmStep(input) };
  }
  const errors = attemptedStep === step ? validateStep(step) : {};

  function next() {
    setServerError(null);
    const found = validateStep(step);
    if (Object.keys(found).length > 0) {
      setAttemptedStep(step);
      // Bring the first message into view; the fields carry aria-invalid and their messages.
      requestAnimationFrame(() => document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    setAttemptedStep(null);
    setStep(step + 1);
  }

  function back() {
    setAttemptedStep(null);
    setServerError(null);
    setStep(step - 1);
  }

  function submit() {
    setServerError(null);
    const found = validateStep(2);
    if (Object.keys(found).length > 0) {
      setAttemptedStep(2);
      if (Object.keys(found).some((k) => k !== "name")) setServerError("Some settings of the earlier steps are no longer valid: go back to fix them.");
      return;
    }
    create.mutate(input);
  }

  const canCreate = can("sms:task:create");
  const liveDiskProblems =
    input.settings.mode === "block" ? diskRowProblems(sourceDisks, targetDisks, mapping) : fileTarget === "disks" && context.target ? preparedDiskProblems(sourceDisks, targetDisks, input) : {};
  const hasLiveProblems = Object.keys(liveDiskProblems).length > 0;

  return (
    <>
      <PageHeader title="Create migration task" description="Three steps: choose the server to migrate, where it goes and how, then confirm." />
      {!isLoadingPermissions && !canCreate ? (
        <div className="mb-4">
          <Alert>You may not create migration tasks (sms:task:create). Ask an administrator for SMS FullAccess.</Alert>
        </div>
      ) : null}
      <Stepper label="Task wizard steps" steps={STEPS} current={step} />
      <form
        noValidate
        className="max-w-4xl space-y-6 rounded-lg border border-slate-200 bg-white p-6"
        onSubmit={(e) => {
          e.preventDefault();
          if (step < 2) next();
          else submit();
        }}
      >
        {step === 0 ? (
          <>
            <SourceStep
              headingRef={headingRef}
              sources={sourceItems}
              isLoading={sources.isLoading}
              selectedId={state.sourceServerId}
              selectedCheck={source.data?.feasibility ?? null}
              error={errors.sourceServerId}
              onSelect={(id) => {
                // Another source has other disks: the mapping starts again from the policy.
                update({ sourceServerId: id, mapping: null, prepareMapping: null });
              }}
            />
            {sourceItems.length === 0 && errors.sourceServerId ? <p role="alert" className="text-sm text-red-600">{errors.sourceServerId}</p> : null}
          </>
        ) : null}
        {step === 1 ? (
          <TargetStep
            headingRef={headingRef}
            context={context}
            targets={targetItems}
            serverTemplates={serverTemplates.data ?? []}
            migrationTemplates={migrationTemplates.data ?? []}
            targetServerId={state.targetServerId}
            serverTemplateId={state.serverTemplateId}
            migrationTemplateId={migrationTemplateId}
            settings={settings}
            mapping={mapping}
            sourceRoot={state.sourceRoot}
            fileTarget={fileTarget}
            prepareMapping={prepareMapping}
            isSameUuids={state.isSameUuids}
            errors={errors}
            liveDiskProblems={liveDiskProblems}
            isLoadingSource={source.isLoading}
            onTarget={(id) => update({ targetServerId: id, mapping: null, prepareMapping: null, fileTarget: null })}
            onServerTemplate={(id) => {
              const template = serverTemplates.data?.find((t) => t.id === id);
              update({ serverTemplateId: id, mapping: null, prepareMapping: null, ...(template?.targetServerId ? { targetServerId: template.targetServerId, fileTarget: null } : {}) });
            }}
            onMigrationTemplate={(id) => {
              const template = migrationTemplates.data?.find((t) => t.id === id);
              update({ migrationTemplateId: id, ...(template ? { settings: draftOfSettings(template.settings) } : {}) });
            }}
            onSettings={(draft) => update({ settings: draft })}
            onMapping={(sourcePath, targetPath) => update({ mapping: { ...mapping, [sourcePath]: targetPath } })}
            onSourceRoot={(value) => update({ sourceRoot: value })}
            onFileTarget={(value) => update({ fileTarget: value })}
            onPrepareMapping={(sourcePath, targetPath) => update({ prepareMapping: { ...prepareMapping, [sourcePath]: targetPath } })}
            onSameUuids={(value) => update({ isSameUuids: value })}
          />
        ) : null}
        {step === 2 ? (
          <ConfirmStep
            headingRef={headingRef}
            input={input}
            sourceName={sourceSummary?.hostname ?? ""}
            targetName={targetSummary?.hostname ?? ""}
            sourceDisks={sourceDisks}
            targetDirRoot={context.target?.capabilities?.fileRoot ?? null}
            templateNames={{ migration: migrationTemplates.data?.find((t) => t.id === migrationTemplateId)?.name ?? null, server: serverTemplate?.name ?? null }}
            estimate={estimate.data}
            isEstimating={estimate.isLoading}
            estimateError={estimate.error ? errorMessage(estimate.error) : null}
            name={name}
            onName={(value) => update({ name: value })}
            onStartNow={(value) => update({ startNow: value })}
            errors={errors}
            serverError={serverError}
          />
        ) : null}
        <div className="flex flex-wrap items-center gap-2 border-t border-slate-100 pt-4">
          {step > 0 ? (
            <Button type="button" variant="secondary" onClick={back}>
              Back
            </Button>
          ) : (
            <Link href="/tasks" className="rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100">
              Cancel
            </Link>
          )}
          {step < 2 ? (
            <Button type="submit">Next</Button>
          ) : (
            <Button type="submit" disabled={create.isPending || !canCreate || hasLiveProblems}>
              {create.isPending ? "Creating…" : state.startNow ? "Create and start" : "Create task"}
            </Button>
          )}
        </div>
      </form>
    </>
  );
}
