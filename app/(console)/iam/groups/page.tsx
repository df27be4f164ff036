import type { Metadata } from "next";
import { GroupsView } from "@/components/iam/groups-view";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "IAM user groups" };

export default async function Page() {
  await requireActor();
  return <GroupsView />;
}
