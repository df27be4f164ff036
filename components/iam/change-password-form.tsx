"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { changePasswordSchema, type ChangePasswordInput } from "@/server/services/iam/schemas";
import { fieldErrorsOf } from "./form-errors";

type FieldErrors = Partial<Record<keyof ChangePasswordInput, string>>;

/**
 * Changes the signed-in user's own password. `isFirstChange` is the forced change after an
 * administrator's initial password: on success it continues into the console.
 */
export function ChangePasswordForm({ isFirstChange = false }: { isFirstChange?: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const change = useMutation(trpc.session.changePassword.mutationOptions());

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = Object.fromEntries(new FormData(formElement)) as Record<string, string>;
    const parsed = changePasswordSchema.safeParse(form);
    if (!parsed.success) {
      setFieldErrors(fieldErrorsOf<keyof ChangePasswordInput>(parsed.error));
      return;
    }
    setFieldErrors({});
    setError(null);
    setNotice(null);
    try {
      await change.mutateAsync(parsed.data);
      if (isFirstChange) {
        router.replace("/servers");
        router.refresh();
        return;
      }
      formElement.reset();
      setNotice("Your password was changed. Use it the next time you sign in.");
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate aria-label="Change password">
      {error ? <Alert>{error}</Alert> : null}
      {notice ? <Alert tone="info">{notice}</Alert> : null}
      <Field
        label={isFirstChange ? "Initial password" : "Current password"}
        name="currentPassword"
        type="password"
        autoComplete="current-password"
        error={fieldErrors.currentPassword}
        hint={isFirstChange ? "The password your administrator gave you." : undefined}
        required
        autoFocus={isFirstChange}
      />
      <Field
        label="New password"
        name="newPassword"
        type="password"
        autoComplete="new-password"
        error={fieldErrors.newPassword}
        hint="At least 10 characters, letters mixed with digits or symbols."
        required
      />
      <Field label="Confirm new password" name="confirmPassword" type="password" autoComplete="new-password" error={fieldErrors.confirmPassword} required />
      <Button type="submit" className={isFirstChange ? "w-full" : ""} disabled={change.isPending}>
        {change.isPending ? "Changing…" : isFirstChange ? "Change password and continue" : "Change password"}
      </Button>
    </form>
  );
}
