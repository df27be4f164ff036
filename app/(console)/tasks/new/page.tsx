import type { Metadata } from "next";
import { NewTaskWizard } from "@/components/tasks/new-task-wizard";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Create migration task" };

export default async function Page() {
  await requireActor();
  return <NewTaskWizard />;
}
