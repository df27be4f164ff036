import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Audit log" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader title="Audit log" description="Every change in this account, who made it and whether it was allowed." />
      <EmptyState title="Nothing to show yet">
        <p>Changes made in the console and by agents appear here with time, user, address, operation and result.</p>
      </EmptyState>
    </>
  );
}
