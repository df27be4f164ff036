import { z } from "zod";

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Use HH:MM, 00:00 to 23:59");

/** A speed limit that applies daily between two times (it may wrap past midnight). */
export const speedWindowSchema = z
  .object({
    start: time,
    end: time,
    limitMbps: z.number({ error: "Enter a number" }).positive("The speed limit must be more than 0").max(100_000, "At most 100,000 Mbit/s"),
  })
  .refine((w) => w.start !== w.end, { path: ["end"], message: "The window must end at another time than it starts" });

/**
 * How a task migrates: shared by migration templates, the wizard and the task itself, so the form
 * and the server apply exactly the same rules.
 */
export const migrationSettingsSchema = z.object({
  mode: z.enum(["block", "file"]),
  /** Megabits per second, as SMS states limits; null for no limit. */
  limitMbps: z
    .number({ error: "Enter a number" })
    .positive("The speed limit must be more than 0")
    .max(100_000, "At most 100,000 Mbit/s")
    .nullable(),
  windows: z.array(speedWindowSchema).max(5, "At most 5 speed windows"),
  compress: z.boolean(),
  /** Repeat incremental syncs after the full copy until the target is launched (block level only). */
  continuousSync: z.boolean(),
  /** Compare hashes of everything copied at the end of each pass. */
  verify: z.boolean(),
  /** File level: glob patterns to leave out, e.g. /var/cache/**. */
  excludes: z.array(z.string().trim().min(1, "An empty pattern matches nothing").max(4096)).max(100, "At most 100 exclusions"),
  startTargetAfterMigration: z.boolean(),
});
export type MigrationSettings = z.infer<typeof migrationSettingsSchema>;

export const DEFAULT_MIGRATION_SETTINGS: MigrationSettings = {
  mode: "block",
  limitMbps: null,
  windows: [],
  compress: false,
  continuousSync: false,
  verify: true,
  excludes: [],
  startTargetAfterMigration: false,
};

const name = z.string().trim().min(1, "Enter a name").max(64, "Use at most 64 characters");
const description = z.string().trim().max(255, "Use at most 255 characters").default("");
const idSchema = z.string().uuid("Not a valid id");

export const createMigrationTemplateSchema = z.object({
  name,
  description,
  isDefault: z.boolean().default(false),
  settings: migrationSettingsSchema,
});
export const updateMigrationTemplateSchema = createMigrationTemplateSchema.extend({ templateId: idSchema });
export const templateIdSchema = z.object({ templateId: idSchema });

/** How a target server is set up at launch. */
export const serverSettingsSchema = z.object({
  /** Map source disks to target disks in order, or to the smallest target disk that holds each. */
  diskMappingPolicy: z.enum(["in-order", "smallest-fit"]),
  network: z.discriminatedUnion("mode", [
    z.object({ mode: z.literal("keep-source") }),
    z.object({
      mode: z.literal("static"),
      address: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "Use an IPv4 address with its prefix, e.g. 10.0.0.5/24"),
      gateway: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, "Use an IPv4 address, e.g. 10.0.0.1"),
      dns: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, "Use IPv4 addresses")).max(3),
    }),
  ]),
  /** Host name to set at launch; null keeps the source's. */
  hostname: z
    .string()
    .trim()
    .regex(/^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/, "Use letters, digits, dots and hyphens")
    .nullable(),
});
export type ServerSettings = z.infer<typeof serverSettingsSchema>;

export const createServerTemplateSchema = z.object({
  name,
  description,
  targetServerId: idSchema.nullable(),
  settings: serverSettingsSchema,
});
export const updateServerTemplateSchema = createServerTemplateSchema.extend({ templateId: idSchema });
