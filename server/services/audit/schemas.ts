import { z } from "zod";

/** `<occurredAt to the microsecond, UTC>|<id>`: where the previous page ended. */
export const auditCursorSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\|[0-9a-f-]{36}$/, "Not a valid page cursor");

export const listAuditEventsSchema = z
  .object({
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    user: z.string().trim().max(254).optional(),
    operation: z.string().trim().max(100).optional(),
    resource: z.string().trim().max(200).optional(),
    result: z.enum(["success", "failure"]).optional(),
    /** Keyset pagination: the `cursor` of the last row of the previous page. */
    cursor: auditCursorSchema.optional(),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { path: ["to"], message: "The end of the time range is before its start" });
export type ListAuditEventsInput = z.input<typeof listAuditEventsSchema>;
