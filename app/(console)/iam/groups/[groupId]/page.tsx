import type { Metadata } from "next";
import { GroupDetail } from "@/components/iam/group-detail";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "IAM user group" };

export default async function Page({ params }: { params: Promise<{ groupId: string }> }) {
  await requireActor();
  const { groupId } = await params;
  return <GroupDetail groupId={groupId} />;
}
