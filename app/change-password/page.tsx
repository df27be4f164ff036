import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ChangePasswordForm } from "@/components/iam/change-password-form";
import { SignOutButton } from "@/components/layout/sign-out-button";
import { AuthCard } from "@/components/ui/auth-card";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Change your password" };
export const dynamic = "force-dynamic";

/**
 * Outside the console layout on purpose: the layout sends users with an initial password here, so
 * this page must not be wrapped by it. Anyone else changes their password under My credentials.
 */
export default async function ChangePasswordPage() {
  const actor = await requireActor();
  if (!actor.mustChangePassword) redirect("/iam/credentials");
  return (
    <AuthCard
      title="Choose your own password"
      subtitle={`Welcome, ${actor.name}. Your administrator set an initial password for ${actor.email}; choose a new one before you continue.`}
    >
      <ChangePasswordForm isFirstChange />
      <div className="mt-6 flex items-center justify-between border-t border-slate-200 pt-4 text-sm text-slate-600">
        <span>Not {actor.email}?</span>
        <SignOutButton />
      </div>
    </AuthCard>
  );
}
