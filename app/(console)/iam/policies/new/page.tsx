import type { Metadata } from "next";
import { NewPolicy } from "@/components/iam/policy-editor";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Create custom policy" };

export default async function Page() {
  await requireActor();
  return <NewPolicy />;
}
