"use client";

import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { createFirstAccountSchema, type CreateFirstAccountInput } from "@/server/services/setup/schemas";

type FieldErrors = Partial<Record<keyof CreateFirstAccountInput, string>>;

export function SetupForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const create = useMutation(trpc.setup.createFirstAccount.mutationOptions());

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.currentTarget)) as Record<string, string>;
    // The same schema the server applies, so the form says exactly what the server would.
    const parsed = createFirstAccountSchema.safeParse(form);
    if (!parsed.success) {
      const errors: FieldErrors = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path[0] as keyof CreateFirstAccountInput;
        errors[key] ??= issue.message;
      }
      setFieldErrors(errors);
      return;
    }
    setFieldErrors({});
    setError(null);
    try {
      await create.mutateAsync(parsed.data);
      const result = await signIn("credentials", { email: parsed.data.email, password: parsed.data.password, redirect: false });
      if (result?.error) throw new Error("The account was created, but signing in failed. Sign in on the next page.");
      router.replace("/servers");
      router.refresh();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      {error ? <Alert>{error}</Alert> : null}
      <Field label="Account name" name="accountName" error={fieldErrors.accountName} hint="Your organisation; it owns every server and task." required />
      <Field label="Your name" name="name" autoComplete="name" error={fieldErrors.name} required />
      <Field label="Email" name="email" type="email" autoComplete="username" error={fieldErrors.email} required />
      <Field label="Password" name="password" type="password" autoComplete="new-password" error={fieldErrors.password} hint="At least 10 characters, letters mixed with digits or symbols." required />
      <Field label="Confirm password" name="confirmPassword" type="password" autoComplete="new-password" error={fieldErrors.confirmPassword} required />
      <Button type="submit" className="w-full" disabled={create.isPending}>
        {create.isPending ? "Creating…" : "Create account and sign in"}
      </Button>
    </form>
  );
}
