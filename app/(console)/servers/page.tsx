import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Source servers" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader title="Source servers" description="Servers whose Ferry agent has registered, with their feasibility check." />
      <EmptyState title="No source servers yet">
        <p>Install the Ferry agent on a server you want to migrate. It registers itself here and Ferry checks whether it can be migrated.</p><p className="mt-2"><a className="font-medium text-brand-600 hover:underline" href="/agent">Set up the agent</a></p>
      </EmptyState>
    </>
  );
}
