import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { SignInForm } from "@/components/auth/sign-in-form";
import { AuthCard } from "@/components/ui/auth-card";
import { getSessionActor } from "@/server/auth";
import { getDb } from "@/server/db";
import { isSetupNeeded } from "@/server/services/setup/status";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage() {
  if (await isSetupNeeded(await getDb())) redirect("/setup");
  if (await getSessionActor()) redirect("/servers");
  return (
    <AuthCard title="Sign in to the console" subtitle="Use the email and password your administrator gave you.">
      <Suspense>
        <SignInForm />
      </Suspense>
    </AuthCard>
  );
}
