import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Target servers" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader title="Target servers" description="Servers that receive migrated data: the agent runs on them in target mode." />
      <EmptyState title="No target servers yet">
        <p>Start the agent on the machine that will take over, in target mode. It registers its disks here.</p><p className="mt-2"><a className="font-medium text-brand-600 hover:underline" href="/agent">See the agent set-up</a></p>
      </EmptyState>
    </>
  );
}
