import type { Metadata } from "next";
import { MigrationTemplatesView } from "@/components/templates/migration-templates-view";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Migration templates" };

export default async function Page() {
  await requireActor();
  return <MigrationTemplatesView />;
}
