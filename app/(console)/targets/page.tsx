import type { Metadata } from "next";
import { TargetsView } from "@/components/targets/targets-view";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Target servers" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader title="Target servers" description="Servers that receive migrated data: the agent runs on them in target mode and offers disks and a folder." />
      <TargetsView />
    </>
  );
}
