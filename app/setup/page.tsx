import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SetupForm } from "@/components/auth/setup-form";
import { AuthCard } from "@/components/ui/auth-card";
import { getDb } from "@/server/db";
import { isSetupNeeded } from "@/server/services/setup/status";

export const metadata: Metadata = { title: "Set up Ferry" };
export const dynamic = "force-dynamic";

export default async function SetupPage() {
  if (!(await isSetupNeeded(await getDb()))) redirect("/sign-in");
  return (
    <AuthCard
      title="Welcome to Ferry"
      subtitle="No one has set up this console yet. Create the first account and its administrator."
    >
      <SetupForm />
    </AuthCard>
  );
}
