import type { Metadata } from "next";
import { UsersView } from "@/components/iam/users-view";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "IAM users" };

export default async function Page() {
  const actor = await requireActor();
  return <UsersView currentUserId={actor.userId} />;
}
