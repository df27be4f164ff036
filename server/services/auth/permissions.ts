import { ACTION_NAMES, type Action } from "../../authz/actions";
import { can } from "../../authz/assert-can";
import type { ServiceContext } from "../context";

/** The catalogue actions the caller may perform account-wide, so the UI can hide what it can't. */
export async function listMyAllowedActions(ctx: ServiceContext): Promise<Action[]> {
  const allowed: Action[] = [];
  for (const action of ACTION_NAMES) if (await can(ctx, action)) allowed.push(action);
  return allowed;
}
