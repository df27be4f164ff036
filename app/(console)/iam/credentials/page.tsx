import type { Metadata } from "next";
import { CredentialsView } from "@/components/iam/credentials-view";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "My credentials" };

export default async function Page() {
  const actor = await requireActor();
  return <CredentialsView email={actor.email} />;
}
