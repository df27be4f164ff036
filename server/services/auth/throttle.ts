import { and, count, eq, gt } from "drizzle-orm";
import { signInAttempts } from "@/drizzle/schema";
import type { Db } from "../../db";

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 30;

/**
 * Failed sign-ins in the window, per email and per IP. Counted in PostgreSQL so the limit holds
 * across every console instance. Returns a reason when further attempts must be refused.
 */
export async function checkSignInThrottle(
  db: Db,
  email: string,
  ip: string,
  now = new Date(),
): Promise<string | null> {
  const since = new Date(now.getTime() - THROTTLE_WINDOW_MS);
  const failedSince = and(eq(signInAttempts.succeeded, false), gt(signInAttempts.createdAt, since));
  const [byEmail] = await db
    .select({ n: count() })
    .from(signInAttempts)
    .where(and(failedSince, eq(signInAttempts.email, email)));
  if ((byEmail?.n ?? 0) >= MAX_FAILURES_PER_EMAIL) {
    return "Too many failed sign-ins for this email. Wait 15 minutes, then try again.";
  }
  const [byIp] = await db
    .select({ n: count() })
    .from(signInAttempts)
    .where(and(failedSince, eq(signInAttempts.ip, ip)));
  if ((byIp?.n ?? 0) >= MAX_FAILURES_PER_IP) {
    return "Too many failed sign-ins from this address. Wait 15 minutes, then try again.";
  }
  return null;
}

export async function recordSignInAttempt(db: Db, email: string, ip: string, succeeded: boolean) {
  await db.insert(signInAttempts).values({ email, ip, succeeded });
}
