import { users } from "@/drizzle/schema";
import type { Db } from "../../db";

/** First-run setup is open only while no user exists at all. */
export async function isSetupNeeded(db: Db): Promise<boolean> {
  const [anyUser] = await db.select({ id: users.id }).from(users).limit(1);
  return !anyUser;
}
