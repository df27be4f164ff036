import { TRPCClientError } from "@trpc/client";

const FINAL_CODES = ["FORBIDDEN", "UNAUTHORIZED", "NOT_FOUND", "BAD_REQUEST", "CONFLICT", "TOO_MANY_REQUESTS", "PRECONDITION_FAILED"];

/** Retry what may pass next time (network, server errors); a refusal answers the same again. */
export function retryUnlessRefused(failureCount: number, error: unknown): boolean {
  if (error instanceof TRPCClientError) {
    const code = (error.data as { code?: string } | undefined)?.code;
    if (code && FINAL_CODES.includes(code)) return false;
  }
  return failureCount < 2;
}
