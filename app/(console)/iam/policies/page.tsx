import type { Metadata } from "next";
import { PoliciesView } from "@/components/iam/policies-view";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "IAM policies" };

export default async function Page() {
  await requireActor();
  return <PoliciesView />;
}
