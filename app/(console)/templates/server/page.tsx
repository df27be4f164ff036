import type { Metadata } from "next";
import { ServerTemplatesView } from "@/components/templates/server-templates-view";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Server templates" };

export default async function Page() {
  await requireActor();
  return <ServerTemplatesView />;
}
