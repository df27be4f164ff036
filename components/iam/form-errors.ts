import type { z } from "zod";

/** The first message per top-level field of a failed parse, for inline field errors. */
export function fieldErrorsOf<T extends string>(error: z.ZodError): Partial<Record<T, string>> {
  const errors: Partial<Record<T, string>> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "") as T;
    errors[key] ??= issue.message;
  }
  return errors;
}
