"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { CheckboxField } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { createMigrationTemplateSchema, DEFAULT_MIGRATION_SETTINGS } from "@/server/services/templates/schemas";
import type { MigrationTemplateDto } from "@/server/services/templates/migration-templates";
import { issueMapOf, issuesUnder, type IssueMap } from "./issues";
import { draftOfSettings, settingsOfDraft } from "./migration-settings-draft";
import { MigrationOptionsFields, ModeFields } from "./migration-settings-fields";

/** Create or edit a migration template; validated with the server's own schema before sending. */
export function MigrationTemplateForm({ template, onDone }: { template: MigrationTemplateDto | null; onDone: (message: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [name, setName] = useState(template?.name ?? "");
  const [description, setDescription] = useState(template?.description ?? "");
  const [isDefault, setIsDefault] = useState(template?.isDefault ?? false);
  const [draft, setDraft] = useState(() => draftOfSettings(template?.settings ?? DEFAULT_MIGRATION_SETTINGS));
  const [errors, setErrors] = useState<IssueMap>({});
  const [serverError, setServerError] = useState<string | null>(null);

  useEffect(() => headingRef.current?.focus(), []);

  const onSuccess = async (saved: { name: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.templates.migration.list.queryKey() });
    onDone(template ? `Saved the migration template "${saved.name}".` : `Created the migration template "${saved.name}".`);
  };
  const create = useMutation(trpc.templates.migration.create.mutationOptions({ onSuccess, onError: (e) => setServerError(errorMessage(e)) }));
  const update = useMutation(trpc.templates.migration.update.mutationOptions({ onSuccess, onError: (e) => setServerError(errorMessage(e)) }));
  const isPending = create.isPending || update.isPending;

  function submit(event: React.FormEvent) {
    event.preventDefault();
    setServerError(null);
    const parsed = createMigrationTemplateSchema.safeParse({ name, description, isDefault, settings: settingsOfDraft(draft) });
    if (!parsed.success) {
      setErrors(issueMapOf(parsed.error));
      return;
    }
    setErrors({});
    if (template) update.mutate({ ...parsed.data, templateId: template.id });
    else create.mutate(parsed.data);
  }

  const settingsErrors = issuesUnder(errors, "settings");
  const hasErrors = Object.keys(errors).length > 0;
  return (
    <section aria-labelledby="migration-template-form-heading" className="mb-6 rounded-lg border border-slate-200 bg-white p-6">
      <h2 id="migration-template-form-heading" ref={headingRef} tabIndex={-1} className="text-lg font-semibold text-slate-900 focus:outline-none">
        {template ? `Edit migration template "${template.name}"` : "New migration template"}
      </h2>
      <form noValidate onSubmit={submit} className="mt-4 space-y-6">
        {hasErrors ? <Alert>Some settings need fixing; see the messages next to them.</Alert> : null}
        {serverError ? <Alert>{serverError}</Alert> : null}
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Name" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} maxLength={64} />
          <Field label="Description" value={description} onChange={(e) => setDescription(e.target.value)} error={errors.description} hint="Optional" />
        </div>
        <CheckboxField label="Default template" hint="Preselected in the task wizard. Only one template is the default: marking this one takes the mark off the other." checked={isDefault} onChange={(e) => setIsDefault(e.target.checked)} />
        <ModeFields mode={draft.mode} onChange={(mode) => setDraft({ ...draft, mode })} error={settingsErrors.mode} />
        <MigrationOptionsFields draft={draft} onChange={setDraft} errors={settingsErrors} />
        <div className="flex gap-2">
          <Button type="submit" disabled={isPending}>
            {isPending ? "Saving…" : template ? "Save template" : "Create template"}
          </Button>
          <Button type="button" variant="secondary" onClick={() => onDone("")}>
            Cancel
          </Button>
        </div>
      </form>
    </section>
  );
}
