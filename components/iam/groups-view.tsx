"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
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
import type { GroupDto } from "@/server/services/iam/groups";
import { createGroupSchema } from "@/server/services/iam/schemas";
import { fieldErrorsOf } from "./form-errors";
import { QueryState } from "./query-state";
import { SectionHeader } from "./section-header";
import { useAllowedActions } from "./use-allowed-actions";

type GroupFieldErrors = Partial<Record<"name" | "description", string>>;

export function GroupsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const { can } = useAllowedActions();
  const groups = useQuery({ ...trpc.iam.groups.list.queryOptions() });
  const [isCreating, setIsCreating] = useState(false);
  const [deleting, setDeleting] = useState<GroupDto | null>(null);
  const [fieldErrors, setFieldErrors] = useState<GroupFieldErrors>({});
  const [createError, setCreateError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.iam.groups.list.queryKey() });
  const create = useMutation(trpc.iam.groups.create.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(
    trpc.iam.groups.delete.mutationOptions({
      onSuccess: () => {
        setNotice(`The group ${deleting?.name ?? ""} was deleted. Its members keep their other groups and policies.`);
        setDeleting(null);
        return invalidate();
      },
    }),
  );

  async function onCreate(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.currentTarget)) as Record<string, string>;
    const parsed = createGroupSchema.safeParse(form);
    if (!parsed.success) {
      setFieldErrors(fieldErrorsOf<"name" | "description">(parsed.error));
      return;
    }
    setFieldErrors({});
    setCreateError(null);
    try {
      const created = await create.mutateAsync(parsed.data);
      setIsCreating(false);
      router.push(`/iam/groups/${created.id}`);
    } catch (e) {
      setCreateError(errorMessage(e));
    }
  }

  const createButton = can("iam:group:create") ? <Button onClick={() => setIsCreating(true)}>Create user group</Button> : null;
  const customGroups = (groups.data ?? []).filter((g) => !g.isAdmin);

  return (
    <section aria-labelledby="groups-heading">
      <SectionHeader
        id="groups-heading"
        title="User groups"
        description="Attach policies to a group once; every member gets its permissions."
        actions={createButton}
      />
      <div className="space-y-4">
        {notice ? <Alert tone="info">{notice}</Alert> : null}
        <QueryState isLoading={groups.isLoading} error={groups.error} what="user groups" />
        {groups.data ? (
          <>
            <Table label="User groups">
              <THead>
                <Th>Name</Th>
                <Th>Description</Th>
                <Th>Members</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </THead>
              <TBody>
                {groups.data.map((group) => (
                  <tr key={group.id}>
                    <Td className="font-medium">
                      <Link href={`/iam/groups/${group.id}`} className="text-brand-600 hover:underline">
                        {group.name}
                      </Link>
                      {group.isAdmin ? (
                        <span className="ml-2">
                          <Badge tone="info">Administrators</Badge>
                        </span>
                      ) : null}
                    </Td>
                    <Td className="text-slate-600">{group.description}</Td>
                    <Td>{group.memberCount}</Td>
                    <Td>
                      <div className="flex justify-end">
                        {!group.isAdmin && can("iam:group:delete") ? (
                          <Button
                            variant="ghost"
                            className="text-red-700"
                            onClick={() => {
                              remove.reset();
                              setDeleting(group);
                            }}
                            aria-label={`Delete ${group.name}`}
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
            {customGroups.length === 0 ? (
              <EmptyState title="Only the administrators' group exists" action={createButton}>
                <p>
                  Create a group for each role, for example &quot;operators&quot; with SMS FullAccess or &quot;auditors&quot; with SMS ReadOnlyAccess,
                  then add users to it.
                </p>
              </EmptyState>
            ) : null}
          </>
        ) : null}
      </div>

      <Dialog open={isCreating} onClose={() => setIsCreating(false)} title="Create user group" description="You can add members and attach policies next.">
        <form onSubmit={onCreate} className="space-y-4" noValidate>
          {createError ? <Alert>{createError}</Alert> : null}
          <Field label="Group name" name="name" error={fieldErrors.name} required autoFocus />
          <Field label="Description" name="description" error={fieldErrors.description} />
          <DialogActions>
            <Button type="button" variant="secondary" onClick={() => setIsCreating(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Create group"}
            </Button>
          </DialogActions>
        </form>
      </Dialog>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the group ${deleting?.name ?? ""}?`}
        confirmLabel="Delete group"
        isPending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => deleting && remove.mutate({ groupId: deleting.id })}
        onClose={() => setDeleting(null)}
      >
        Its members lose the permissions of the policies attached to it. The users themselves are not deleted.
      </ConfirmDialog>
    </section>
  );
}
