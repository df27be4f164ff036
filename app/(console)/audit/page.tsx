import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditLog } from "@/components/audit/audit-log";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Audit log" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change in this account, allowed or refused, from the console or an agent: who made it, from where, and whether it was allowed."
      />
      <Suspense>
        <AuditLog />
      </Suspense>
    </>
  );
}
