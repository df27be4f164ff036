"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useMemo, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm";
import { Field } from "@/components/ui/field";
import { TextareaField } from "@/components/ui/textarea";
import { parsePolicyDocument } from "@/server/authz/policy-schema";
import { summarizePolicy } from "@/server/authz/summarize";
import { createPolicySchema } from "@/server/services/iam/schemas";
import { fieldErrorsOf } from "./form-errors";
import { PolicySummaryView } from "./policy-summary";
import { isConflict, QueryState } from "./query-state";
import { useAllowedActions } from "./use-allowed-actions";

const NEW_POLICY_TEXT = `{
  "Version": "1.1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["sms:server:list", "sms:server:get"]
    }
  ]
}
`;

/** `version` is the one the form was opened at, so a refetch in the background never hides a conflict. */
type FormValues = { name: string; description: string; text: string; version?: number };
type FieldErrors = Partial<Record<"name" | "description", string>>;

function Panel({ title, children }: { title: string; children: React.ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-200 bg-white p-5">
      <h3 id={id} className="mb-3 text-base font-semibold text-slate-900">
        {title}
      </h3>
      {children}
    </section>
  );
}

function BackLink() {
  return (
    <Link href="/iam/policies" className="text-sm font-medium text-brand-600 hover:underline">
      ← All policies
    </Link>
  );
}

/**
 * The JSON editor: the document is validated and summarised as you type, with the same parser the
 * server uses, so what it reports is exactly what saving would refuse.
 */
function PolicyForm({
  initial,
  submitLabel,
  isPending,
  error,
  errorAction,
  onSubmit,
  readOnly,
}: {
  initial: FormValues;
  submitLabel: string;
  isPending: boolean;
  error: string | null;
  errorAction?: React.ReactNode;
  onSubmit: (values: { name: string; description: string; document: string; version?: number }) => void;
  readOnly?: boolean;
}) {
  const [values, setValues] = useState(initial);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [submitError, setSubmitError] = useState<string | null>(null);
  const problemsId = useId();
  const parsed = useMemo(() => parsePolicyDocument(values.text), [values.text]);
  const summary = useMemo(() => (parsed.ok ? summarizePolicy(parsed.document) : null), [parsed]);

  function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const checked = createPolicySchema.safeParse({ name: values.name, description: values.description, document: values.text });
    setFieldErrors(checked.success ? {} : fieldErrorsOf<"name" | "description">(checked.error));
    if (!parsed.ok) {
      setSubmitError("Fix the problems in the policy document before saving.");
      return;
    }
    setSubmitError(null);
    if (checked.success) onSubmit({ name: checked.data.name, description: checked.data.description, document: values.text, version: values.version });
  }

  return (
    <form onSubmit={submit} className="space-y-6" noValidate>
      {error ? (
        <Alert>
          <div className="flex flex-wrap items-center justify-between gap-2">
            <span>{error}</span>
            {errorAction}
          </div>
        </Alert>
      ) : null}
      {submitError ? <Alert>{submitError}</Alert> : null}
      <div className="grid max-w-2xl gap-4">
        <Field
          label="Policy name"
          name="name"
          value={values.name}
          onChange={(e) => setValues({ ...values, name: e.target.value })}
          error={fieldErrors.name}
          readOnly={readOnly}
          required
        />
        <Field
          label="Description"
          name="description"
          value={values.description}
          onChange={(e) => setValues({ ...values, description: e.target.value })}
          error={fieldErrors.description}
          readOnly={readOnly}
        />
      </div>
      <div className="grid gap-6 lg:grid-cols-2">
        <div className="space-y-3">
          <TextareaField
            label="Policy document (JSON)"
            name="document"
            isCode
            rows={22}
            value={values.text}
            onChange={(e) => {
              setSubmitError(null);
              setValues({ ...values, text: e.target.value });
            }}
            readOnly={readOnly}
            aria-invalid={parsed.ok ? undefined : true}
            aria-describedby={problemsId}
          />
          <div id={problemsId} aria-live="polite">
            {parsed.ok ? (
              <p className="text-sm text-green-700">The policy is valid.</p>
            ) : (
              <div className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800" data-testid="policy-problems">
                <p className="font-medium">
                  {parsed.errors.length === 1 ? "1 problem" : `${parsed.errors.length} problems`} in the policy document:
                </p>
                <ul className="mt-1 list-disc space-y-1 pl-5">
                  {parsed.errors.map((problem, index) => (
                    <li key={`${problem.path}-${index}`}>
                      {problem.path ? <code className="font-mono text-xs font-semibold">{problem.path}</code> : null}
                      {problem.path ? ": " : ""}
                      {problem.message}
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </div>
        </div>
        <Panel title="What this allows">
          {summary ? (
            <PolicySummaryView summary={summary} />
          ) : (
            <p className="text-sm text-slate-600">The summary appears once the document is valid.</p>
          )}
        </Panel>
      </div>
      {readOnly ? null : (
        <Button type="submit" disabled={isPending}>
          {isPending ? "Saving…" : submitLabel}
        </Button>
      )}
    </form>
  );
}

export function NewPolicy() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.iam.policies.create.mutationOptions({
      onSuccess: async (created) => {
        await queryClient.invalidateQueries({ queryKey: trpc.iam.policies.list.queryKey() });
        router.push(`/iam/policies/${created.id}?created=1`);
      },
    }),
  );
  return (
    <div className="space-y-4">
      <BackLink />
      <h2 className="text-lg font-semibold text-slate-900">Create custom policy</h2>
      <p className="max-w-3xl text-sm text-slate-600">
        Actions are named <code className="font-mono">service:resource:verb</code>, for example <code className="font-mono">sms:task:start</code>; use{" "}
        <code className="font-mono">*</code> and <code className="font-mono">?</code> as wildcards. Nothing is allowed unless a statement allows it, and a
        matching Deny always wins.
      </p>
      <PolicyForm
        initial={{ name: "", description: "", text: NEW_POLICY_TEXT }}
        submitLabel="Create policy"
        isPending={create.isPending}
        error={create.error ? errorMessage(create.error) : null}
        onSubmit={({ name, description, document }) => create.mutate({ name, description, document })}
      />
    </div>
  );
}

export function PolicyDetail({ policyId, isJustCreated }: { policyId: string; isJustCreated: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { can } = useAllowedActions();
  const policy = useQuery({ ...trpc.iam.policies.get.queryOptions({ policyId }) });
  const [formKey, setFormKey] = useState(0);
  const [notice, setNotice] = useState<string | null>(isJustCreated ? "The policy was created. Attach it to users or user groups." : null);
  const [hasNewerVersion, setHasNewerVersion] = useState(false);
  const [isDeleting, setIsDeleting] = useState(false);

  const update = useMutation(
    trpc.iam.policies.update.mutationOptions({
      onSuccess: async (saved) => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.iam.policies.get.queryKey({ policyId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.iam.policies.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.session.allowedActions.queryKey() }),
        ]);
        setNotice(`The policy was saved (version ${saved.version}).`);
        setFormKey((k) => k + 1);
      },
      onError: async (e, sent) => {
        setNotice(null);
        if (!isConflict(e)) return;
        // CONFLICT is also a taken name; only a newer version on the server calls for a reload.
        const latest = await queryClient.fetchQuery({ ...trpc.iam.policies.get.queryOptions({ policyId }), staleTime: 0 }).catch(() => null);
        setHasNewerVersion(latest !== null && latest.version !== sent.version);
      },
    }),
  );
  const remove = useMutation(
    trpc.iam.policies.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.iam.policies.list.queryKey() });
        router.push("/iam/policies");
      },
    }),
  );

  if (!policy.data) {
    return (
      <div className="space-y-4">
        <BackLink />
        <QueryState isLoading={policy.isLoading} error={policy.error} what="this policy" />
      </div>
    );
  }
  const p = policy.data;
  const isEditable = !p.isSystem && can("iam:policy:update");

  async function reload() {
    await queryClient.fetchQuery({ ...trpc.iam.policies.get.queryOptions({ policyId }), staleTime: 0 }).catch(() => null);
    update.reset();
    setHasNewerVersion(false);
    setNotice("Reloaded the latest version. Apply your change again.");
    setFormKey((k) => k + 1);
  }

  return (
    <div className="space-y-4">
      <BackLink />
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="flex items-center gap-2">
          <h2 className="text-lg font-semibold text-slate-900">{p.name}</h2>
          {p.isSystem ? <Badge tone="info">System</Badge> : <Badge>Custom · version {p.version}</Badge>}
        </div>
        {!p.isSystem && can("iam:policy:delete") ? (
          <Button
            variant="secondary"
            className="text-red-700"
            onClick={() => {
              remove.reset();
              setIsDeleting(true);
            }}
          >
            Delete policy
          </Button>
        ) : null}
      </div>
      {p.isSystem ? <Alert tone="info">System policies are built into Ferry and cannot be edited. Create a custom policy for a different set of actions.</Alert> : null}
      {notice ? <Alert tone="info">{notice}</Alert> : null}

      <PolicyForm
        key={`${p.id}:${formKey}`}
        initial={{ name: p.name, description: p.description, text: `${JSON.stringify(p.document, null, 2)}\n`, version: p.version }}
        submitLabel="Save policy"
        readOnly={!isEditable}
        isPending={update.isPending}
        error={update.error ? errorMessage(update.error) : null}
        errorAction={
          hasNewerVersion ? (
            <Button variant="secondary" onClick={reload}>
              Reload policy
            </Button>
          ) : null
        }
        onSubmit={({ version, ...values }) => update.mutate({ policyId: p.id, version: version ?? p.version, ...values })}
      />

      <Panel title="Attached to">
        {p.attachedTo.length ? (
          <ul className="space-y-1 text-sm" aria-label="Users and groups this policy is attached to">
            {p.attachedTo.map((a) => (
              <li key={`${a.principalType}-${a.principalId}`} className="flex items-center gap-2">
                <Badge>{a.principalType === "user" ? "User" : "Group"}</Badge>
                {a.principalType === "group" ? (
                  <Link href={`/iam/groups/${a.principalId}`} className="text-brand-600 hover:underline">
                    {a.name}
                  </Link>
                ) : (
                  <span>{a.name}</span>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-600">
            Not attached to anyone, so it grants nothing yet. Attach it from a user&apos;s Policies or a user group&apos;s page.
          </p>
        )}
      </Panel>
      <ConfirmDialog
        open={isDeleting}
        title={`Delete the policy ${p.name}?`}
        confirmLabel="Delete policy"
        isPending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => remove.mutate({ policyId: p.id })}
        onClose={() => setIsDeleting(false)}
      >
        A policy still attached to users or groups cannot be deleted; detach it first.
      </ConfirmDialog>
    </div>
  );
}
