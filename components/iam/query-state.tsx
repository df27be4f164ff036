"use client";

import { TRPCClientError } from "@trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";

export function isForbidden(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === "FORBIDDEN";
}

export function isConflict(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === "CONFLICT";
}

/** What a page shows while its data loads or when it cannot be read (no permission, or an error). */
export function QueryState({ isLoading, error, what }: { isLoading: boolean; error: unknown; what: string }) {
  if (isLoading) {
    return (
      <p role="status" className="py-8 text-center text-sm text-slate-500">
        Loading {what}…
      </p>
    );
  }
  if (isForbidden(error)) {
    return (
      <EmptyState title={`You don't have permission to view ${what}`}>
        <p>{errorMessage(error)}</p>
      </EmptyState>
    );
  }
  if (error) return <Alert>{errorMessage(error)}</Alert>;
  return null;
}

/**
 * Retry only what may pass on a second try: a refusal, a missing item or a bad input never will,
 * and retrying them would keep the user waiting seconds for the message.
 */
