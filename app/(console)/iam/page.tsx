import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "IAM" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader title="IAM" description="Users, user groups, policies and access keys of this account." />
      <EmptyState title="Only the administrator exists">
        <p>Create IAM users for the people who work with Ferry, put them in groups and attach policies such as SMS FullAccess or SMS ReadOnlyAccess. Agents sign in with an access key pair (AK/SK).</p>
      </EmptyState>
    </>
  );
}
