"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import type { Action } from "@/server/authz/actions";

/** What the user may do account-wide, to hide buttons the server would refuse anyway. */
export function useCan() {
  const trpc = useTRPC();
  const query = useQuery(trpc.session.allowedActions.queryOptions());
  const allowed = new Set<string>(query.data ?? []);
  return (action: Action) => allowed.has(action);
}
