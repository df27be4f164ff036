import { and, desc, eq, gte, ilike, lte, or, sql, type SQL } from "drizzle-orm";
import { auditEvents } from "@/drizzle/schema";
import { assertCan } from "../../authz/assert-can";
import type { ServiceContext } from "../context";
import { listAuditEventsSchema, type ListAuditEventsInput } from "./schemas";

function like(value: string) {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

async function queryAuditEvents(ctx: ServiceContext, input: ListAuditEventsInput) {
  const f = listAuditEventsSchema.parse(input);
  const where: (SQL | undefined)[] = [eq(auditEvents.accountId, ctx.actor.accountId)];
  if (f.from) where.push(gte(auditEvents.occurredAt, f.from));
  if (f.to) where.push(lte(auditEvents.occurredAt, f.to));
  if (f.cursor) {
    const [at, id] = f.cursor.split("|") as [string, string];
    // Row comparison on (time, id): rows sharing a timestamp are neither skipped nor repeated.
    where.push(sql`(${auditEvents.occurredAt}, ${auditEvents.id}) < (${`${at}Z`}::timestamptz, ${id}::uuid)`);
  }
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
      cursor: sql<string>`to_char(${auditEvents.occurredAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '|' || ${auditEvents.id}`,
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
    const next = await queryAuditEvents(ctx, { ...input, limit: 500, cursor: all.at(-1)!.cursor });
    if (!next.length) break;
    all.push(...next);
    if (next.length < 500) break;
  }
  const lines = [CSV_COLUMNS.join(","), ...all.map((row) => CSV_COLUMNS.map((c) => csvCell(row[c])).join(","))];
  return lines.join("\r\n") + "\r\n";
}
