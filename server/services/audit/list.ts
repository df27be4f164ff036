import { and, desc, eq, gte, ilike, lt, lte, or, type SQL } from "drizzle-orm";
import { z } from "zod";
import { auditEvents } from "@/drizzle/schema";
import { assertCan } from "../../authz/assert-can";
import type { ServiceContext } from "../context";

export const listAuditEventsSchema = z
  .object({
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    user: z.string().trim().max(254).optional(),
    operation: z.string().trim().max(100).optional(),
    resource: z.string().trim().max(200).optional(),
    result: z.enum(["success", "failure"]).optional(),
    /** Keyset pagination: the occurredAt of the last row of the previous page. */
    before: z.coerce.date().optional(),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { path: ["to"], message: "The end of the time range is before its start" });
export type ListAuditEventsInput = z.input<typeof listAuditEventsSchema>;

function like(value: string) {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

async function queryAuditEvents(ctx: ServiceContext, input: ListAuditEventsInput) {
  const f = listAuditEventsSchema.parse(input);
  const where: (SQL | undefined)[] = [eq(auditEvents.accountId, ctx.actor.accountId)];
  if (f.from) where.push(gte(auditEvents.occurredAt, f.from));
  if (f.to) where.push(lte(auditEvents.occurredAt, f.to));
  if (f.before) where.push(lt(auditEvents.occurredAt, f.before));
  if (f.user) where.push(ilike(auditEvents.userName, like(f.user)));
  if (f.operation) where.push(ilike(auditEvents.operation, like(f.operation)));
  if (f.resource) {
    where.push(
      or(
        ilike(auditEvents.resourceName, like(f.resource)),
        ilike(auditEvents.resourceId, like(f.resource)),
        ilike(auditEvents.resourceType, like(f.resource)),
      ),
    );
  }
  if (f.result) where.push(eq(auditEvents.result, f.result));
  return ctx.db
    .select({
      id: auditEvents.id,
      occurredAt: auditEvents.occurredAt,
      userName: auditEvents.userName,
      accessKeyId: auditEvents.accessKeyId,
      sourceIp: auditEvents.sourceIp,
      operation: auditEvents.operation,
      resourceType: auditEvents.resourceType,
      resourceId: auditEvents.resourceId,
      resourceName: auditEvents.resourceName,
      result: auditEvents.result,
      errorCode: auditEvents.errorCode,
    })
    .from(auditEvents)
    .where(and(...where))
    .orderBy(desc(auditEvents.occurredAt), desc(auditEvents.id))
    .limit(f.limit);
}

export async function listAuditEvents(ctx: ServiceContext, input: ListAuditEventsInput) {
  await assertCan(ctx, "audit:trace:list");
  return queryAuditEvents(ctx, input);
}

const CSV_COLUMNS = ["occurredAt", "userName", "accessKeyId", "sourceIp", "operation", "resourceType", "resourceId", "resourceName", "result", "errorCode"] as const;

function csvCell(value: unknown): string {
  const text = value instanceof Date ? value.toISOString() : value == null ? "" : String(value);
  // Quote everything; a leading =,+,-,@ is prefixed so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The filtered trail as CSV (up to 10,000 rows). */
export async function exportAuditEventsCsv(ctx: ServiceContext, input: ListAuditEventsInput) {
  await assertCan(ctx, "audit:trace:export");
  const rows = await queryAuditEvents(ctx, { ...input, limit: 500 });
  const all = [...rows];
  while (all.length < 10_000 && rows.length === 500) {
    const next = await queryAuditEvents(ctx, { ...input, limit: 500, before: all.at(-1)!.occurredAt });
    if (!next.length) break;
    all.push(...next);
    if (next.length < 500) break;
  }
  const lines = [CSV_COLUMNS.join(","), ...all.map((row) => CSV_COLUMNS.map((c) => csvCell(row[c])).join(","))];
  return lines.join("\r\n") + "\r\n";
}
