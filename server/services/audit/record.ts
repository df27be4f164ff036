import { auditEvents } from "@/drizzle/schema";
import type { Db, Tx } from "../../db";
import type { Actor, RequestMeta } from "../auth/actor";

export type AuditEntry = {
  accountId: string;
  actor?: Actor | null;
  meta?: RequestMeta;
  operation: string;
  resourceType?: string;
  resourceId?: string;
  resourceName?: string;
  result: "success" | "failure";
  errorCode?: string;
  details?: Record<string, unknown>;
};

const SECRET_KEYS = /pass(word)?|secret|token|^sk$|private/i;

/** Masks anything that looks like a secret, at any depth, before it is stored. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? "***" : maskSecrets(v)]),
    );
  }
  return value;
}

/** Appends one row to the audit trail; call it inside the mutation's transaction. */
export async function recordAudit(db: Db | Tx, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    accountId: entry.accountId,
    userId: entry.actor?.userId ?? null,
    userName: entry.actor?.email ?? null,
    accessKeyId: entry.actor?.accessKeyId ?? null,
    sourceIp: entry.meta?.ip ?? null,
    operation: entry.operation,
    resourceType: entry.resourceType ?? null,
    resourceId: entry.resourceId ?? null,
    resourceName: entry.resourceName ?? null,
    result: entry.result,
    errorCode: entry.errorCode ?? null,
    details: entry.details ? (maskSecrets(entry.details) as Record<string, unknown>) : null,
  });
}
