"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { createUserSchema, type CreateUserInput } from "@/server/services/iam/schemas";
import { fieldErrorsOf } from "./form-errors";
import { useAllowedActions } from "./use-allowed-actions";

type FieldErrors = Partial<Record<keyof CreateUserInput, string>>;

export function CreateUserDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (email: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { can } = useAllowedActions();
  const groups = useQuery({ ...trpc.iam.groups.list.queryOptions(), enabled: open && can("iam:group:list") });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const create = useMutation(
    trpc.iam.users.create.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.iam.users.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.iam.groups.list.queryKey() }),
        ]),
    }),
  );

  function close() {
    setFieldErrors({});
    setError(null);
    onClose();
  }

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    // The schema the server applies, so the form reports exactly what the server would refuse.
    const parsed = createUserSchema.safeParse({
      email: String(form.get("email") ?? ""),
      name: String(form.get("name") ?? ""),
      initialPassword: String(form.get("initialPassword") ?? ""),
      groupIds: form.getAll("groupIds").map(String),
    });
    if (!parsed.success) {
      setFieldErrors(fieldErrorsOf<keyof CreateUserInput>(parsed.error));
      return;
    }
    setFieldErrors({});
    setError(null);
    try {
      const created = await create.mutateAsync(parsed.data);
      setFieldErrors({});
      onCreated(created.email);
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Create user"
      description="The user signs in with this email and the initial password you set, and must change the password at first sign-in."
    >
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        {error ? <Alert>{error}</Alert> : null}
        <Field label="Email" name="email" type="email" autoComplete="off" error={fieldErrors.email} required autoFocus />
        <Field label="Name" name="name" autoComplete="off" error={fieldErrors.name} required />
        <Field
          label="Initial password"
          name="initialPassword"
          type="password"
          autoComplete="new-password"
          error={fieldErrors.initialPassword}
          hint="At least 10 characters, letters mixed with digits or symbols. Tell the user; they must change it at first sign-in."
          required
        />
        {groups.data?.length ? (
          <fieldset>
            <legend className="text-sm font-medium text-slate-700">User groups</legend>
            <div className="mt-2 space-y-1">
              {groups.data.map((group) => (
                <label key={group.id} className="flex items-center gap-2 text-sm text-slate-800">
                  <input type="checkbox" name="groupIds" value={group.id} className="h-4 w-4 rounded border-slate-300" />
                  {group.name}
                  {group.isAdmin ? <span className="text-xs text-slate-500">(administrators)</span> : null}
                </label>
              ))}
            </div>
            {fieldErrors.groupIds ? <p className="mt-1 text-sm text-red-600">{fieldErrors.groupIds}</p> : null}
          </fieldset>
        ) : null}
        <DialogActions>
          <Button type="button" variant="secondary" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create user"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
