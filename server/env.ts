import "server-only";
import path from "node:path";
import { z } from "zod";

/** The only reader of process.env. Everything is optional: Ferry starts with nothing set. */
const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "DATABASE_URL must start with postgres:// or postgresql://")
    .optional(),
  FERRY_DATA_DIR: z.string().trim().min(1).default(".ferry-data"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  NEXTAUTH_URL: z.string().url().optional(),
  /** Session signing secret; generated into the data folder when absent. */
  NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters").optional(),
  /** 32-byte master key (base64 or hex) that encrypts secrets at rest; generated when absent. */
  FERRY_MASTER_KEY: z.string().optional(),
  /** Most source servers one account may register (SMS's default is 1,000). */
  FERRY_SOURCE_SERVER_QUOTA: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** How often source agents send heartbeats; a source is offline after 3 missed ones. */
  FERRY_HEARTBEAT_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
  /** Seconds between the passes of a task with continuous sync. */
  FERRY_CONTINUOUS_SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(300),
  /** The C compiler that builds the agent's file-transfer addon, served to agents that have none. */
  CC: z
    .string()
    .trim()
    .optional()
    .transform((v) => v || "cc"),
  FERRY_DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

export function getEnv(): Env {
  if (cached) return cached;
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  cached = parsed.data;
  // next-auth reads NEXTAUTH_URL itself; default it to this instance's own address.
  process.env.NEXTAUTH_URL ??= `http://localhost:${cached.PORT}`;
  return cached;
}

export function getDataDir(): string {
  return path.resolve(getEnv().FERRY_DATA_DIR);
}
