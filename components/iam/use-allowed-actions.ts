"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import type { Action } from "@/server/authz/actions";

/**
 * What the signed-in user may do account-wide, so pages can hide buttons that would be refused.
 * Until the answer arrives nothing is allowed: a button appearing late beats one that flashes away.
 * The server checks every call anyway.
 */
export function useAllowedActions() {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.session.allowedActions.queryOptions() });
  const allowed = new Set<string>(query.data ?? []);
  return { can: (action: Action) => allowed.has(action), isLoading: query.isLoading };
}
