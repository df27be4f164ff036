"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { Field } from "@/components/ui/field";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import type { AccessKeyDto } from "@/server/services/iam/access-keys";
import { createAccessKeySchema } from "@/server/services/iam/schemas";
import { credentialsCsv, downloadText } from "./download";
import { fieldErrorsOf } from "./form-errors";
import { formatDateTime } from "./format";
import { QueryState } from "./query-state";
import { useAllowedActions } from "./use-allowed-actions";

/** Mirrors the server's limit (MAX_ACCESS_KEYS_PER_USER), which refuses a third key anyway. */
const MAX_KEYS = 2;

type CreatedKey = { accessKeyId: string; secretAccessKey: string; userEmail: string };

function SecretRow({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt className="text-xs font-semibold tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd className="mt-1 flex items-center gap-2">
        <code className="flex-1 rounded bg-slate-100 px-2 py-1 font-mono text-sm break-all select-all" data-testid={label === "Access key ID (AK)" ? "created-ak" : "created-sk"}>
          {value}
        </code>
        <Button
          variant="secondary"
          aria-label={`Copy ${label}`}
          onClick={() => {
            void navigator.clipboard?.writeText(value);
          }}
        >
          Copy
        </Button>
      </dd>
    </div>
  );
}

export function AccessKeys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { can } = useAllowedActions();
  const keys = useQuery({ ...trpc.iam.accessKeys.list.queryOptions({}) });
  const [isCreating, setIsCreating] = useState(false);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [deleting, setDeleting] = useState<AccessKeyDto | null>(null);
  const [descriptionError, setDescriptionError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);

  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.iam.accessKeys.list.queryKey() });
  const create = useMutation(trpc.iam.accessKeys.create.mutationOptions({ onSuccess: invalidate }));
  const setStatus = useMutation(
    trpc.iam.accessKeys.setStatus.mutationOptions({
      onSuccess: () => {
        setError(null);
        return invalidate();
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  const remove = useMutation(
    trpc.iam.accessKeys.delete.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        return invalidate();
      },
    }),
  );

  async function onCreate(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = createAccessKeySchema.safeParse({ description: String(new FormData(event.currentTarget).get("description") ?? "") });
    if (!parsed.success) {
      setDescriptionError(fieldErrorsOf<"description">(parsed.error).description);
      return;
    }
    setDescriptionError(undefined);
    try {
      const key = await create.mutateAsync(parsed.data);
      setIsCreating(false);
      setCreated(key);
    } catch {
      // Shown in the dialog from create.error.
    }
  }

  const list = keys.data ?? [];
  const isFull = list.length >= MAX_KEYS;
  const canCreate = can("iam:accessKey:create");
  const createButton = canCreate ? (
    <Button
      onClick={() => {
        create.reset();
        setIsCreating(true);
      }}
      disabled={isFull}
      aria-describedby={isFull ? "access-keys-full" : undefined}
    >
      Create access key
    </Button>
  ) : null;

  return (
    <section aria-labelledby="access-keys-heading" className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h3 id="access-keys-heading" className="text-base font-semibold text-slate-900">
            Access keys
          </h3>
          <p className="mt-1 max-w-2xl text-sm text-slate-600">
            An access key pair (AK/SK) lets the Ferry agent and scripts sign their requests as you. You can hold up to {MAX_KEYS}, so you can
            rotate: create the new one, switch over, then delete the old one.
          </p>
          {isFull && canCreate ? (
            <p id="access-keys-full" className="mt-1 text-sm text-amber-700">
              You hold {MAX_KEYS} access keys, the most allowed. Delete one to create another.
            </p>
          ) : null}
        </div>
        {createButton}
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <QueryState isLoading={keys.isLoading} error={keys.error} what="your access keys" />
      {keys.data ? (
        list.length ? (
          <Table label="Access keys">
            <THead>
              <Th>Access key ID</Th>
              <Th>Description</Th>
              <Th>Status</Th>
              <Th>Created</Th>
              <Th>Last used</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </THead>
            <TBody>
              {list.map((key) => (
                <tr key={key.accessKeyId}>
                  <Td className="font-mono text-xs">{key.accessKeyId}</Td>
                  <Td className="text-slate-600">{key.description}</Td>
                  <Td>{key.status === "active" ? <Badge tone="success">Active</Badge> : <Badge>Disabled</Badge>}</Td>
                  <Td className="whitespace-nowrap">{formatDateTime(key.createdAt)}</Td>
                  <Td className="whitespace-nowrap">{key.lastUsedAt ? formatDateTime(key.lastUsedAt) : <span className="text-slate-400">Never used</span>}</Td>
                  <Td>
                    <div className="flex justify-end gap-1">
                      {can("iam:accessKey:update") ? (
                        <Button
                          variant="ghost"
                          disabled={setStatus.isPending}
                          onClick={() => setStatus.mutate({ accessKeyId: key.accessKeyId, status: key.status === "active" ? "inactive" : "active" })}
                          aria-label={`${key.status === "active" ? "Disable" : "Enable"} access key ${key.accessKeyId}`}
                        >
                          {key.status === "active" ? "Disable" : "Enable"}
                        </Button>
                      ) : null}
                      {can("iam:accessKey:delete") ? (
                        <Button
                          variant="ghost"
                          className="text-red-700"
                          onClick={() => {
                            remove.reset();
                            setDeleting(key);
                          }}
                          aria-label={`Delete access key ${key.accessKeyId}`}
                        >
                          Delete
                        </Button>
                      ) : null}
                    </div>
                  </Td>
                </tr>
              ))}
            </TBody>
          </Table>
        ) : (
          <EmptyState title="You have no access keys" action={createButton}>
            <p>Create an access key to let the Ferry agent on a source server register and report as you. The secret is shown only once.</p>
          </EmptyState>
        )
      ) : null}

      <Dialog open={isCreating} onClose={() => setIsCreating(false)} title="Create access key" description="The secret access key is shown once, right after you create it.">
        <form onSubmit={onCreate} className="space-y-4" noValidate>
          {create.error ? <Alert>{errorMessage(create.error)}</Alert> : null}
          <Field label="Description" name="description" hint="Optional: where you will use it, e.g. “agent on web-01”." error={descriptionError} autoFocus />
          <DialogActions>
            <Button type="button" variant="secondary" onClick={() => setIsCreating(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Create"}
            </Button>
          </DialogActions>
        </form>
      </Dialog>

      <Dialog
        open={created !== null}
        onClose={() => setCreated(null)}
        title="Access key created"
        description="Save the secret access key now: Ferry stores it encrypted and will never show it again. If you lose it, delete this key and create a new one."
      >
        {created ? (
          <>
            <Alert>This is the only time the secret access key (SK) is shown.</Alert>
            <dl className="mt-4 space-y-3">
              <SecretRow label="Access key ID (AK)" value={created.accessKeyId} />
              <SecretRow label="Secret access key (SK)" value={created.secretAccessKey} />
            </dl>
            <DialogActions>
              <Button
                variant="secondary"
                onClick={() => downloadText("credentials.csv", credentialsCsv(created.userEmail, created.accessKeyId, created.secretAccessKey))}
              >
                Download CSV
              </Button>
              <Button onClick={() => setCreated(null)}>I have saved it</Button>
            </DialogActions>
          </>
        ) : null}
      </Dialog>

      <ConfirmDialog
        open={deleting !== null}
        title={`Delete access key ${deleting?.accessKeyId ?? ""}?`}
        confirmLabel="Delete access key"
        isPending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => deleting && remove.mutate({ accessKeyId: deleting.accessKeyId })}
        onClose={() => setDeleting(null)}
      >
        Agents and scripts using it are refused from now on. Disable it instead if you may need it again.
      </ConfirmDialog>
    </section>
  );
}
