"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { SelectField } from "@/components/ui/select";
import { updateGroupSchema } from "@/server/services/iam/schemas";
import { fieldErrorsOf } from "./form-errors";
import { AttachedPolicies } from "./principal-policies";
import { QueryState } from "./query-state";
import { useAllowedActions } from "./use-allowed-actions";

function Panel({ title, id, children }: { title: string; id: string; children: React.ReactNode }) {
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-200 bg-white p-5">
      <h3 id={id} className="mb-3 text-base font-semibold text-slate-900">
        {title}
      </h3>
      {children}
    </section>
  );
}

export function GroupDetail({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { can } = useAllowedActions();
  const group = useQuery({ ...trpc.iam.groups.get.queryOptions({ groupId }) });
  const users = useQuery({ ...trpc.iam.users.list.queryOptions(), enabled: can("iam:group:addUser") && can("iam:user:list") });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<"name" | "description", string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [newMember, setNewMember] = useState("");

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.iam.groups.get.queryKey({ groupId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.iam.groups.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.iam.users.list.queryKey() }),
    ]);
  const onError = (e: unknown) => {
    setNotice(null);
    setError(errorMessage(e));
  };
  const update = useMutation(
    trpc.iam.groups.update.mutationOptions({
      onSuccess: () => {
        setError(null);
        setNotice("The group was saved.");
        return refresh();
      },
      onError,
    }),
  );
  const addUser = useMutation(
    trpc.iam.groups.addUser.mutationOptions({
      onSuccess: () => {
        setError(null);
        setNewMember("");
        return refresh();
      },
      onError,
    }),
  );
  const removeUser = useMutation(
    trpc.iam.groups.removeUser.mutationOptions({
      onSuccess: () => {
        setError(null);
        return refresh();
      },
      onError,
    }),
  );

  function onSave(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.currentTarget)) as Record<string, string>;
    const parsed = updateGroupSchema.safeParse({ ...form, groupId });
    if (!parsed.success) {
      setFieldErrors(fieldErrorsOf<"name" | "description">(parsed.error));
      return;
    }
    setFieldErrors({});
    update.mutate(parsed.data);
  }

  if (!group.data) {
    return (
      <>
        <BackLink />
        <QueryState isLoading={group.isLoading} error={group.error} what="this user group" />
      </>
    );
  }
  const g = group.data;
  const memberIds = new Set(g.members.map((m) => m.id));
  const candidates = (users.data ?? []).filter((u) => !memberIds.has(u.id));
  const canUpdate = can("iam:group:update");

  return (
    <div className="space-y-6">
      <BackLink />
      <div className="flex items-center gap-2">
        <h2 className="text-lg font-semibold text-slate-900">User group {g.name}</h2>
        {g.isAdmin ? <Badge tone="info">Administrators</Badge> : null}
      </div>
      {error ? <Alert>{error}</Alert> : null}
      {notice ? <Alert tone="info">{notice}</Alert> : null}

      <Panel title="Details" id="group-details">
        {canUpdate ? (
          <form onSubmit={onSave} className="grid max-w-xl gap-4" noValidate key={`${g.name}:${g.description}`}>
            <Field label="Group name" name="name" defaultValue={g.name} error={fieldErrors.name} required />
            <Field label="Description" name="description" defaultValue={g.description} error={fieldErrors.description} />
            <div>
              <Button type="submit" disabled={update.isPending}>
                {update.isPending ? "Saving…" : "Save group"}
              </Button>
            </div>
          </form>
        ) : (
          <dl className="text-sm">
            <dt className="font-medium text-slate-700">Description</dt>
            <dd className="text-slate-600">{g.description || "None"}</dd>
          </dl>
        )}
        {g.isAdmin ? (
          <p className="mt-3 text-sm text-slate-600">
            This is the account&apos;s administrators&apos; group. It cannot be deleted, keeps its system policies, and must keep at least one enabled member.
          </p>
        ) : null}
      </Panel>

      <Panel title="Members" id="group-members">
        {g.members.length ? (
          <ul aria-label={`Members of ${g.name}`} className="divide-y divide-slate-100 rounded-md border border-slate-200">
            {g.members.map((member) => (
              <li key={member.id} className="flex items-center justify-between gap-2 px-3 py-2 text-sm">
                <span>
                  <span className="font-medium">{member.email}</span> <span className="text-slate-500">{member.name}</span>
                </span>
                {can("iam:group:removeUser") ? (
                  <Button
                    variant="ghost"
                    disabled={removeUser.isPending}
                    onClick={() => removeUser.mutate({ groupId, userId: member.id })}
                    aria-label={`Remove ${member.email} from ${g.name}`}
                  >
                    Remove
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="rounded-md border border-dashed border-slate-300 px-3 py-4 text-sm text-slate-600">
            No one is in this group yet. {can("iam:group:addUser") ? "Add a user below." : ""}
          </p>
        )}
        {can("iam:group:addUser") && users.data ? (
          <form
            className="mt-3 flex items-end gap-2"
            onSubmit={(event) => {
              event.preventDefault();
              if (newMember) addUser.mutate({ groupId, userId: newMember });
            }}
          >
            <div className="flex-1">
              <SelectField label="User to add" value={newMember} onChange={(e) => setNewMember(e.target.value)}>
                <option value="">{candidates.length ? "Choose a user…" : "Every user is already a member"}</option>
                {candidates.map((user) => (
                  <option key={user.id} value={user.id}>
                    {user.email}
                  </option>
                ))}
              </SelectField>
            </div>
            <Button type="submit" disabled={!newMember || addUser.isPending}>
              Add member
            </Button>
          </form>
        ) : null}
      </Panel>

      <Panel title="Policies" id="group-policies">
        <AttachedPolicies principal={{ type: "group", id: g.id, name: g.name }} />
      </Panel>
    </div>
  );
}

function BackLink() {
  return (
    <Link href="/iam/groups" className="text-sm font-medium text-brand-600 hover:underline">
      ← All user groups
    </Link>
  );
}
