import { sql } from "drizzle-orm";
import { getDatabase } from "@/server/db";

export const dynamic = "force-dynamic";

/** Liveness and readiness: answers 200 only when the database answers. */
export async function GET() {
  try {
    const database = await getDatabase();
    await database.db.execute(sql`select 1`);
    return Response.json({ ok: true, database: database.driver });
  } catch (error) {
    console.error("[health] database check failed:", error);
    return Response.json({ ok: false, error: "The database is not reachable." }, { status: 503 });
  }
}
