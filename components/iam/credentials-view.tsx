"use client";

import { AccessKeys } from "./access-keys";
import { ChangePasswordForm } from "./change-password-form";
import { SectionHeader } from "./section-header";

export function CredentialsView({ email }: { email: string }) {
  return (
    <div>
      <SectionHeader id="credentials-heading" title="My credentials" description={`Your password and access keys, signed in as ${email}.`} />
      <div className="space-y-8">
        <section aria-labelledby="password-heading" className="max-w-md rounded-lg border border-slate-200 bg-white p-5">
          <h3 id="password-heading" className="mb-3 text-base font-semibold text-slate-900">
            Password
          </h3>
          <ChangePasswordForm />
        </section>
        <AccessKeys />
      </div>
    </div>
  );
}
