"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import type { PolicyDto } from "@/server/services/iam/policies";
import { QueryState } from "./query-state";
import { SectionHeader } from "./section-header";
import { useAllowedActions } from "./use-allowed-actions";

export function PoliciesView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { can } = useAllowedActions();
  const policies = useQuery({ ...trpc.iam.policies.list.queryOptions() });
  const [deleting, setDeleting] = useState<PolicyDto | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useMutation(
    trpc.iam.policies.delete.mutationOptions({
      onSuccess: () => {
        setNotice(`The policy ${deleting?.name ?? ""} was deleted.`);
        setDeleting(null);
        return queryClient.invalidateQueries({ queryKey: trpc.iam.policies.list.queryKey() });
      },
    }),
  );

  const createLink = can("iam:policy:create") ? (
    <Link
      href="/iam/policies/new"
      className="inline-flex items-center rounded-md bg-brand-600 px-3 py-2 text-sm font-medium text-white hover:bg-brand-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-600 focus-visible:ring-offset-1"
    >
      Create custom policy
    </Link>
  ) : null;
  const custom = (policies.data ?? []).filter((p) => !p.isSystem);

  return (
    <section aria-labelledby="policies-heading">
      <SectionHeader
        id="policies-heading"
        title="Policies"
        description="System policies ship with Ferry and cannot be changed. Custom policies use the IAM JSON grammar (Version, Statement, Effect, Action, Resource, Condition)."
        actions={createLink}
      />
      <div className="space-y-4">
        {notice ? <Alert tone="info">{notice}</Alert> : null}
        <QueryState isLoading={policies.isLoading} error={policies.error} what="policies" />
        {policies.data ? (
          <>
            <Table label="Policies">
              <THead>
                <Th>Name</Th>
                <Th>Type</Th>
                <Th>Description</Th>
                <Th>Attached to</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </THead>
              <TBody>
                {policies.data.map((policy) => (
                  <tr key={policy.id}>
                    <Td className="font-medium whitespace-nowrap">
                      <Link href={`/iam/policies/${policy.id}`} className="text-brand-600 hover:underline">
                        {policy.name}
                      </Link>
                    </Td>
                    <Td>{policy.isSystem ? <Badge tone="info">System</Badge> : <Badge>Custom</Badge>}</Td>
                    <Td className="text-slate-600">{policy.description}</Td>
                    <Td className="whitespace-nowrap">
                      {policy.attachmentCount} {policy.attachmentCount === 1 ? "user or group" : "users or groups"}
                    </Td>
                    <Td>
                      <div className="flex justify-end">
                        {!policy.isSystem && can("iam:policy:delete") ? (
                          <Button
                            variant="ghost"
                            className="text-red-700"
                            onClick={() => {
                              remove.reset();
                              setDeleting(policy);
                            }}
                            aria-label={`Delete ${policy.name}`}
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
            {custom.length === 0 ? (
              <EmptyState title="No custom policies yet" action={createLink}>
                <p>
                  The system policies cover the usual roles. Create a custom policy when someone needs exactly some actions, for example
                  starting tasks but not deleting them, or only from your office network.
                </p>
              </EmptyState>
            ) : null}
          </>
        ) : null}
      </div>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the policy ${deleting?.name ?? ""}?`}
        confirmLabel="Delete policy"
        isPending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => deleting && remove.mutate({ policyId: deleting.id })}
        onClose={() => setDeleting(null)}
      >
        A policy still attached to users or groups cannot be deleted; detach it first.
      </ConfirmDialog>
    </section>
  );
}
