import { TRPCClientError } from "@trpc/client";

/** A message fit to show a user, from any error a tRPC call can raise. */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const fieldErrors = (error.data as { fieldErrors?: { message: string }[] } | undefined)?.fieldErrors;
    if (fieldErrors?.length) return fieldErrors.map((e) => e.message).join(". ");
    return error.message;
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}
