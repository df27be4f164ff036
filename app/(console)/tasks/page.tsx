import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Migration tasks" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader title="Migration tasks" description="Each task moves one source server to one target server." />
      <EmptyState title="No migration tasks yet">
        <p>A task needs a registered source server that passed its check and a target server. Register both with the agent first, then create a task here in three steps: select the source, configure the target, confirm.</p>
      </EmptyState>
    </>
  );
}
