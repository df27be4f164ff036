import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Server templates" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader title="Server templates" description="Reusable target server choices: disk mapping, network settings and hostname." />
      <EmptyState title="No server templates yet">
        <p>A server template remembers how a target server is set up at launch, for tasks that migrate several similar servers.</p>
      </EmptyState>
    </>
  );
}
