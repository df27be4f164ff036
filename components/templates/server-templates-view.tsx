"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useAllowedActions } from "@/components/iam/use-allowed-actions";
import { QueryState } from "@/components/iam/query-state";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import type { ServerSettings } from "@/server/services/templates/schemas";
import type { ServerTemplateDto } from "@/server/services/templates/server-templates";
import { DISK_MAPPING_POLICIES, ServerTemplateForm } from "./server-template-form";

function describeNetwork(network: ServerSettings["network"]): string {
  if (network.mode === "keep-source") return "Keep the source's";
  return `${network.address} via ${network.gateway}${network.dns.length ? `, DNS ${network.dns.join(", ")}` : ""}`;
}

export function ServerTemplatesView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { can } = useAllowedActions();
  const templates = useQuery(trpc.templates.server.list.queryOptions());
  const [editing, setEditing] = useState<{ template: ServerTemplateDto | null } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<ServerTemplateDto | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const remove = useMutation(
    trpc.templates.server.delete.mutationOptions({
      onSuccess: async () => {
        setNotice(`Deleted the server template "${deleting?.name}".`);
        setDeleting(null);
        await queryClient.invalidateQueries({ queryKey: trpc.templates.server.list.queryKey() });
      },
      onError: (e) => setDeleteError(errorMessage(e)),
    }),
  );

  const canCreate = can("sms:serverTemplate:create");
  const canUpdate = can("sms:serverTemplate:update");
  const canDelete = can("sms:serverTemplate:delete");
  const startCreate = () => {
    setNotice(null);
    setEditing({ template: null });
  };

  return (
    <>
      <PageHeader
        title="Server templates"
        description="How a target server is chosen and set up at launch: target, disk mapping, network settings and host name."
        actions={canCreate && !editing ? <Button onClick={startCreate}>Create server template</Button> : null}
      />
      {notice ? (
        <div className="mb-4">
          <Alert tone="info">{notice}</Alert>
        </div>
      ) : null}
      {editing ? (
        <ServerTemplateForm
          key={editing.template?.id ?? "new"}
          template={editing.template}
          onDone={(message) => {
            setEditing(null);
            setNotice(message || null);
          }}
        />
      ) : null}
      <QueryState isLoading={templates.isLoading} error={templates.error} what="server templates" />
      {templates.data && templates.data.length === 0 && !editing ? (
        <EmptyState title="No server templates yet" action={canCreate ? <Button onClick={startCreate}>Create server template</Button> : null}>
          <p>A server template remembers a target server, how source disks map onto its disks, and the network settings and host name it gets at launch — handy when several similar servers move to the same place. Choose it in the task wizard&apos;s second step.</p>
        </EmptyState>
      ) : null}
      {templates.data && templates.data.length > 0 ? (
        <Table label="Server templates">
          <THead>
            <Th>Name</Th>
            <Th>Target server</Th>
            <Th>Disk mapping</Th>
            <Th>Network</Th>
            <Th>Host name</Th>
            <Th>
              <span className="sr-only">Actions</span>
            </Th>
          </THead>
          <TBody>
            {templates.data.map((t) => (
              <tr key={t.id}>
                <Td>
                  <span className="font-medium">{t.name}</span>
                  {t.description ? <p className="text-xs text-slate-500">{t.description}</p> : null}
                </Td>
                <Td>{t.targetServerName ?? <span className="text-slate-500">Chosen in the wizard</span>}</Td>
                <Td>{DISK_MAPPING_POLICIES[t.settings.diskMappingPolicy].label}</Td>
                <Td>{describeNetwork(t.settings.network)}</Td>
                <Td>{t.settings.hostname ?? <span className="text-slate-500">Keep the source&apos;s</span>}</Td>
                <Td className="text-right whitespace-nowrap">
                  {canUpdate ? (
                    <Button
                      variant="ghost"
                      aria-label={`Edit ${t.name}`}
                      onClick={() => {
                        setNotice(null);
                        setEditing({ template: t });
                      }}
                    >
                      Edit
                    </Button>
                  ) : null}
                  {canDelete ? (
                    <Button
                      variant="ghost"
                      className="text-red-700"
                      aria-label={`Delete ${t.name}`}
                      onClick={() => {
                        setDeleteError(null);
                        setDeleting(t);
                      }}
                    >
                      Delete
                    </Button>
                  ) : null}
                </Td>
              </tr>
            ))}
          </TBody>
        </Table>
      ) : null}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the server template "${deleting?.name ?? ""}"?`}
        confirmLabel="Delete template"
        isPending={remove.isPending}
        error={deleteError}
        onConfirm={() => deleting && remove.mutate({ templateId: deleting.id })}
        onClose={() => setDeleting(null)}
      >
        Tasks created from it keep their settings. A template that a running task uses cannot be deleted.
      </ConfirmDialog>
    </>
  );
}
