import type { Metadata } from "next";
import { PolicyDetail } from "@/components/iam/policy-editor";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "IAM policy" };

export default async function Page({
  params,
  searchParams,
}: {
  params: Promise<{ policyId: string }>;
  searchParams: Promise<{ created?: string }>;
}) {
  await requireActor();
  const { policyId } = await params;
  const { created } = await searchParams;
  return <PolicyDetail policyId={policyId} isJustCreated={created === "1"} />;
}
