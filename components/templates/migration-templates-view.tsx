"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useAllowedActions } from "@/components/iam/use-allowed-actions";
import { QueryState } from "@/components/iam/query-state";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import type { MigrationTemplateDto } from "@/server/services/templates/migration-templates";
import { describeLimit } from "./migration-settings-draft";
import { MigrationTemplateForm } from "./migration-template-form";

type Editing = { template: MigrationTemplateDto | null } | null;

const yesNo = (value: boolean) => (value ? "Yes" : "No");

export function MigrationTemplatesView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { can } = useAllowedActions();
  const templates = useQuery(trpc.templates.migration.list.queryOptions());
  const [editing, setEditing] = useState<Editing>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<MigrationTemplateDto | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const remove = useMutation(
    trpc.templates.migration.delete.mutationOptions({
      onSuccess: async () => {
        setNotice(`Deleted the migration template "${deleting?.name}".`);
        setDeleting(null);
        await queryClient.invalidateQueries({ queryKey: trpc.templates.migration.list.queryKey() });
      },
      onError: (e) => setDeleteError(errorMessage(e)),
    }),
  );

  const canCreate = can("sms:template:create");
  const canUpdate = can("sms:template:update");
  const canDelete = can("sms:template:delete");
  const startCreate = () => {
    setNotice(null);
    setEditing({ template: null });
  };

  return (
    <>
      <PageHeader
        title="Migration templates"
        description="Reusable migration settings: level, speed limits, compression, sync and verification. The default one is preselected in the task wizard."
        actions={canCreate && !editing ? <Button onClick={startCreate}>Create migration template</Button> : null}
      />
      {notice ? (
        <div className="mb-4">
          <Alert tone="info">{notice}</Alert>
        </div>
      ) : null}
      {editing ? (
        <MigrationTemplateForm
          key={editing.template?.id ?? "new"}
          template={editing.template}
          onDone={(message) => {
            setEditing(null);
            setNotice(message || null);
          }}
        />
      ) : null}
      <QueryState isLoading={templates.isLoading} error={templates.error} what="migration templates" />
      {templates.data && templates.data.length === 0 && !editing ? (
        <EmptyState
          title="No migration templates yet"
          action={canCreate ? <Button onClick={startCreate}>Create migration template</Button> : null}
        >
          <p>A template saves the options you choose for tasks (level, speed limits, compression, sync, verification, exclusions) so the next task starts from them. Mark one as the default and the wizard preselects it. Tasks can still be created without one.</p>
        </EmptyState>
      ) : null}
      {templates.data && templates.data.length > 0 ? (
        <Table label="Migration templates">
          <THead>
            <Th>Name</Th>
            <Th>Level</Th>
            <Th>Speed limit</Th>
            <Th>Compression</Th>
            <Th>Continuous sync</Th>
            <Th>Verify</Th>
            <Th>Start target after</Th>
            <Th>
              <span className="sr-only">Actions</span>
            </Th>
          </THead>
          <TBody>
            {templates.data.map((t) => (
              <tr key={t.id}>
                <Td>
                  <span className="font-medium">{t.name}</span> {t.isDefault ? <Badge tone="info">Default</Badge> : null}
                  {t.description ? <p className="text-xs text-slate-500">{t.description}</p> : null}
                </Td>
                <Td>{t.settings.mode === "block" ? "Block" : "File"}</Td>
                <Td>{describeLimit(t.settings)}</Td>
                <Td>{yesNo(t.settings.compress)}</Td>
                <Td>{yesNo(t.settings.continuousSync)}</Td>
                <Td>{yesNo(t.settings.verify)}</Td>
                <Td>{yesNo(t.settings.startTargetAfterMigration)}</Td>
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
        title={`Delete the migration template "${deleting?.name ?? ""}"?`}
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
