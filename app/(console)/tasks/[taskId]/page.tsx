import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { TaskDetail } from "@/components/tasks/task-detail";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Migration task" };

export default async function Page({ params }: { params: Promise<{ taskId: string }> }) {
  await requireActor();
  const { taskId } = await params;
  if (!/^[0-9a-f-]{36}$/i.test(taskId)) notFound();
  return <TaskDetail taskId={taskId} />;
}
