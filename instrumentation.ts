// Next.js calls register() once when a console instance starts: open the database and apply
// pending migrations then, so a broken DATABASE_URL or migration fails at start, not on a click.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getDatabase } = await import("./server/db");
  const database = await getDatabase();
  console.log(`Ferry: database ready (${database.driver === "pglite" ? "embedded PGlite" : "PostgreSQL"})`);
}
