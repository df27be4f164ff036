import type { Metadata } from "next";
import { TasksView } from "@/components/tasks/tasks-view";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Migration tasks" };

export default async function Page() {
  await requireActor();
  return <TasksView />;
}
