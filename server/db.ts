import "server-only";
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "@/drizzle/schema";
import { getDataDir, getEnv } from "./env";

/**
 * One client type above the driver. PGlite's drizzle client has the same query API; it is
 * typed as the postgres.js one so services never branch on the driver.
 */
export type Db = PostgresJsDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export type Database = { db: Db; driver: "pglite" | "postgres"; close: () => Promise<void> };

const MIGRATIONS_FOLDER = path.join(process.cwd(), "drizzle", "migrations");
// Any constant works; it only has to be the same for every Ferry instance.
const MIGRATION_LOCK_ID = 4_112_026;

export async function openDatabase(options: { url?: string; pgliteDir?: string }): Promise<Database> {
  if (options.url) return openPostgres(options.url);
  return openPglite(options.pgliteDir);
}

async function openPostgres(url: string): Promise<Database> {
  await migratePostgresOnce(url);
  const client = postgres(url, { max: getEnv().FERRY_DB_POOL_SIZE, onnotice: () => {} });
  const db = drizzlePostgres(client, { schema, casing: "snake_case" });
  return { db, driver: "postgres", close: () => client.end({ timeout: 5 }) };
}

/** Several console instances may start together: an advisory lock lets one migrate at a time. */
async function migratePostgresOnce(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    try {
      await migratePostgres(drizzlePostgres(client, { casing: "snake_case" }), {
        migrationsFolder: MIGRATIONS_FOLDER,
      });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** PGlite in a folder, or in memory when no folder is given (tests). */
async function openPglite(dir?: string): Promise<Database> {
  const releaseLock = dir ? lockPgliteDir(dir) : () => {};
  try {
    const client = dir ? new PGlite(dir) : new PGlite();
    const pgDb = drizzlePglite(client, { schema, casing: "snake_case" });
    await migratePglite(pgDb, { migrationsFolder: MIGRATIONS_FOLDER });
    return {
      db: pgDb as unknown as Db,
      driver: "pglite",
      close: async () => {
        await client.close();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/**
 * PGlite is a single-process database: a second process opening the same folder would
 * corrupt it. A pid lock file turns that into a clear error.
 */
function lockPgliteDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lockFile = path.join(dir, "ferry.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      return () => fs.rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(fs.readFileSync(lockFile, "utf8"));
      if (holder && holder !== process.pid && isProcessAlive(holder)) {
        throw new Error(
          `The embedded database in ${dir} is in use by process ${holder}. ` +
            "Stop that console, or set DATABASE_URL to run several instances against PostgreSQL.",
        );
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`Could not lock ${dir}`);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// Next.js may load this module in several bundles of one process; one database per process.
const globalForDb = globalThis as unknown as { ferryDatabase?: Promise<Database> };

/** The process-wide database, migrated on first use. */
export function getDatabase(): Promise<Database> {
  globalForDb.ferryDatabase ??= (async () => {
    const env = getEnv();
    return openDatabase({ url: env.DATABASE_URL, pgliteDir: path.join(getDataDir(), "pglite") });
  })();
  globalForDb.ferryDatabase.catch(() => {
    globalForDb.ferryDatabase = undefined;
  });
  return globalForDb.ferryDatabase;
}

export async function getDb(): Promise<Db> {
  return (await getDatabase()).db;
}
