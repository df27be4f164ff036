"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import type { UserDto } from "@/server/services/iam/users";
import { CreateUserDialog } from "./create-user-dialog";
import { formatDateTime } from "./format";
import { PrincipalPoliciesDialog } from "./principal-policies";
import { QueryState } from "./query-state";
import { SectionHeader } from "./section-header";
import { useAllowedActions } from "./use-allowed-actions";

export function UsersView({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { can } = useAllowedActions();
  const users = useQuery({ ...trpc.iam.users.list.queryOptions() });
  const [isCreating, setIsCreating] = useState(false);
  const [policiesOf, setPoliciesOf] = useState<UserDto | null>(null);
  const [deleting, setDeleting] = useState<UserDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const invalidateUsers = () => queryClient.invalidateQueries({ queryKey: trpc.iam.users.list.queryKey() });
  const setEnabled = useMutation(
    trpc.iam.users.setEnabled.mutationOptions({
      onSuccess: (_, v) => {
        setError(null);
        setNotice(v.isEnabled ? "The user was enabled." : "The user was disabled and signed out of the console.");
        return invalidateUsers();
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  const remove = useMutation(
    trpc.iam.users.delete.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        setNotice("The user was deleted, with their access keys and policy attachments.");
        return Promise.all([invalidateUsers(), queryClient.invalidateQueries({ queryKey: trpc.iam.groups.list.queryKey() })]);
      },
    }),
  );

  const canCreate = can("iam:user:create");
  const createButton = canCreate ? <Button onClick={() => setIsCreating(true)}>Create user</Button> : null;
  const list = users.data ?? [];

  return (
    <section aria-labelledby="users-heading">
      <SectionHeader
        id="users-heading"
        title="Users"
        description="People who sign in to this console. Their permissions come from their own policies and their groups' policies."
        actions={createButton}
      />
      <div className="space-y-4">
        {error ? <Alert>{error}</Alert> : null}
        {notice ? <Alert tone="info">{notice}</Alert> : null}
        <QueryState isLoading={users.isLoading} error={users.error} what="users" />
        {users.data ? (
          <>
            <Table label="Users">
              <THead>
                <Th>Email</Th>
                <Th>Name</Th>
                <Th>Groups</Th>
                <Th>Status</Th>
                <Th>Last sign-in</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </THead>
              <TBody>
                {list.map((user) => (
                  <tr key={user.id} data-testid={`user-row-${user.email}`}>
                    <Td className="font-medium">
                      {user.email}
                      {user.id === currentUserId ? <span className="ml-2 text-xs text-slate-500">(you)</span> : null}
                    </Td>
                    <Td>{user.name}</Td>
                    <Td>
                      <div className="flex flex-wrap gap-1">
                        {user.groups.length ? user.groups.map((g) => <Badge key={g.id} tone={g.isAdmin ? "info" : "neutral"}>{g.name}</Badge>) : <span className="text-slate-400">None</span>}
                      </div>
                    </Td>
                    <Td>
                      <div className="flex flex-wrap gap-1">
                        {user.isEnabled ? <Badge tone="success">Enabled</Badge> : <Badge tone="danger">Disabled</Badge>}
                        {user.mustChangePassword ? <Badge tone="warning">Initial password</Badge> : null}
                      </div>
                    </Td>
                    <Td className="whitespace-nowrap">{user.lastSignInAt ? formatDateTime(user.lastSignInAt) : <span className="text-slate-400">Never</span>}</Td>
                    <Td>
                      <div className="flex justify-end gap-1">
                        <Button variant="ghost" onClick={() => setPoliciesOf(user)} aria-label={`Policies of ${user.email}`}>
                          Policies
                        </Button>
                        {user.id !== currentUserId && can(user.isEnabled ? "iam:user:disable" : "iam:user:enable") ? (
                          <Button
                            variant="ghost"
                            disabled={setEnabled.isPending}
                            onClick={() => setEnabled.mutate({ userId: user.id, isEnabled: !user.isEnabled })}
                            aria-label={`${user.isEnabled ? "Disable" : "Enable"} ${user.email}`}
                          >
                            {user.isEnabled ? "Disable" : "Enable"}
                          </Button>
                        ) : null}
                        {user.id !== currentUserId && can("iam:user:delete") ? (
                          <Button
                            variant="ghost"
                            className="text-red-700"
                            onClick={() => {
                              remove.reset();
                              setDeleting(user);
                            }}
                            aria-label={`Delete ${user.email}`}
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
            {list.length <= 1 ? (
              <EmptyState title="Only the administrator exists" action={createButton}>
                <p>
                  Create IAM users for the people who work with Ferry, put them in groups and attach policies such as SMS FullAccess or SMS
                  ReadOnlyAccess. Each user gets an initial password and must change it at first sign-in.
                </p>
              </EmptyState>
            ) : null}
          </>
        ) : null}
      </div>

      <CreateUserDialog
        open={isCreating}
        onClose={() => setIsCreating(false)}
        onCreated={(email) => {
          setIsCreating(false);
          setError(null);
          setNotice(`${email} was created. Give them the initial password; they must change it when they first sign in.`);
        }}
      />
      <PrincipalPoliciesDialog
        principal={policiesOf ? { type: "user", id: policiesOf.id, name: policiesOf.email } : null}
        onClose={() => setPoliciesOf(null)}
      />
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.email ?? "user"}?`}
        confirmLabel="Delete user"
        isPending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => deleting && remove.mutate({ userId: deleting.id })}
        onClose={() => setDeleting(null)}
      >
        The user can no longer sign in, and their access keys stop working at once. This cannot be undone.
      </ConfirmDialog>
    </section>
  );
}
