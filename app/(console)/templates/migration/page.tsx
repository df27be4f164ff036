import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Migration templates" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader title="Migration templates" description="Reusable migration settings: mode, speed limits, compression, sync and verification." />
      <EmptyState title="No migration templates yet">
        <p>Templates save the options you pick for tasks so the next task starts from them. You can still create tasks without one.</p>
      </EmptyState>
    </>
  );
}
