"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { SelectField } from "@/components/ui/select";
import { QueryState } from "./query-state";
import { useAllowedActions } from "./use-allowed-actions";

export type Principal = { type: "user" | "group"; id: string; name: string };

/** The policies attached to one user or group, with attach and detach for those allowed to. */
export function AttachedPolicies({ principal }: { principal: Principal }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { can } = useAllowedActions();
  const attachedInput = { principalType: principal.type, principalId: principal.id };
  const attached = useQuery({ ...trpc.iam.policies.listAttached.queryOptions(attachedInput) });
  const canAttach = can("iam:policy:attach");
  const all = useQuery({ ...trpc.iam.policies.list.queryOptions(), enabled: canAttach });
  const [selected, setSelected] = useState("");
  const [error, setError] = useState<string | null>(null);

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.iam.policies.listAttached.queryKey(attachedInput) }),
      queryClient.invalidateQueries({ queryKey: trpc.iam.policies.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.session.allowedActions.queryKey() }),
    ]);
  const attach = useMutation(
    trpc.iam.policies.attach.mutationOptions({
      onSuccess: () => {
        setSelected("");
        setError(null);
        return refresh();
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  const detach = useMutation(
    trpc.iam.policies.detach.mutationOptions({
      onSuccess: () => {
        setError(null);
        return refresh();
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );

  const attachedIds = new Set((attached.data ?? []).map((p) => p.id));
  const attachable = (all.data ?? []).filter((p) => !attachedIds.has(p.id));

  return (
    <div className="space-y-3">
      {error ? <Alert>{error}</Alert> : null}
      <QueryState isLoading={attached.isLoading} error={attached.error} what="attached policies" />
      {attached.data ? (
        attached.data.length ? (
          <ul aria-label={`Policies attached to ${principal.name}`} className="divide-y divide-slate-100 rounded-md border border-slate-200">
            {attached.data.map((policy) => (
              <li key={policy.id} className="flex items-center justify-between gap-2 px-3 py-2 text-sm">
                <span className="flex items-center gap-2">
                  <Link href={`/iam/policies/${policy.id}`} className="font-medium text-brand-600 hover:underline">
                    {policy.name}
                  </Link>
                  {policy.isSystem ? <Badge tone="info">System</Badge> : <Badge>Custom</Badge>}
                </span>
                {can("iam:policy:detach") ? (
                  <Button
                    variant="ghost"
                    disabled={detach.isPending}
                    onClick={() => detach.mutate({ policyId: policy.id, ...attachedInput })}
                    aria-label={`Detach ${policy.name}`}
                  >
                    Detach
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="rounded-md border border-dashed border-slate-300 px-3 py-4 text-sm text-slate-600">
            No policies are attached to {principal.name}
            {principal.type === "user" ? "; they have only what their groups allow." : ", so membership grants nothing."}
            {canAttach ? " Choose a policy below and attach it." : ""}
          </p>
        )
      ) : null}
      {canAttach && attached.data ? (
        <form
          className="flex items-end gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            if (selected) attach.mutate({ policyId: selected, ...attachedInput });
          }}
        >
          <div className="flex-1">
            <SelectField label="Policy to attach" value={selected} onChange={(e) => setSelected(e.target.value)}>
              <option value="">Choose a policy…</option>
              {attachable.map((policy) => (
                <option key={policy.id} value={policy.id}>
                  {policy.name}
                  {policy.isSystem ? " (system)" : ""}
                </option>
              ))}
            </SelectField>
          </div>
          <Button type="submit" disabled={!selected || attach.isPending}>
            Attach
          </Button>
        </form>
      ) : null}
    </div>
  );
}

export function PrincipalPoliciesDialog({ principal, onClose }: { principal: Principal | null; onClose: () => void }) {
  return (
    <Dialog
      open={principal !== null}
      onClose={onClose}
      title={`Policies of ${principal?.name ?? ""}`}
      description="Permissions come from these policies together with those of the user's groups. Any Deny wins over every Allow."
      size="lg"
    >
      {principal ? <AttachedPolicies principal={principal} /> : null}
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
