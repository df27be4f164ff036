import type { Metadata } from "next";
import { ServersView } from "@/components/servers/servers-view";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Source servers" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader title="Source servers" description="Servers whose Ferry agent has registered, with their connection and feasibility check." />
      <ServersView />
    </>
  );
}
