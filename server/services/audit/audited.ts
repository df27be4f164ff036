import { assertCan } from "../../authz/assert-can";
import type { Action } from "../../authz/actions";
import { resourceName, type ResourceType } from "../../authz/resources";
import type { Tx } from "../../db";
import { isDomainError } from "../../errors";
import type { ServiceContext } from "../context";
import { recordAudit } from "./record";

export type AuditedOperation = {
  action: Action;
  resourceType: ResourceType;
  /** Known up front for changes to an existing resource; a create reports it from `run`. */
  resourceId?: string;
  details?: Record<string, unknown>;
};

export type AuditedResult<T> = { value: T; resourceId?: string; resourceName?: string };

/**
 * How every mutation runs: check the permission, then do the change and write its audit row in one
 * transaction. A refusal or failure is audited too, in a transaction of its own so it survives the
 * rollback of the change.
 */
export async function audited<T>(
  ctx: ServiceContext,
  operation: AuditedOperation,
  run: (tx: Tx) => Promise<AuditedResult<T>>,
): Promise<T> {
  const base = {
    accountId: ctx.actor.accountId,
    actor: ctx.actor,
    meta: ctx.meta,
    operation: operation.action,
    resourceType: operation.resourceType,
    resourceId: operation.resourceId,
    details: operation.details,
  };
  try {
    const resource = operation.resourceId
      ? resourceName(operation.resourceType, ctx.actor.accountId, operation.resourceId)
      : undefined;
    await assertCan(ctx, operation.action, resource);
    return await ctx.db.transaction(async (tx) => {
      const result = await run(tx);
      await recordAudit(tx, {
        ...base,
        resourceId: result.resourceId ?? operation.resourceId,
        resourceName: result.resourceName,
        result: "success",
      });
      return result.value;
    });
  } catch (error) {
    await recordAudit(ctx.db, {
      ...base,
      result: "failure",
      errorCode: isDomainError(error) ? error.code : "INTERNAL_ERROR",
    }).catch((auditError) => console.error("[audit] could not record a failure:", auditError));
    throw error;
  }
}
