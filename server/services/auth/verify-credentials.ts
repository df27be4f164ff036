import { eq, sql } from "drizzle-orm";
import { users } from "@/drizzle/schema";
import type { Db } from "../../db";
import { tooManyRequests, unauthorized } from "../../errors";
import { actorFromUser, type Actor, type RequestMeta } from "./actor";
import { burnPasswordCheck, verifyPassword } from "./passwords";
import { signInSchema, type SignInInput } from "./schemas";
import { checkSignInThrottle, recordSignInAttempt } from "./throttle";

// One message for unknown email, wrong password and disabled user: no account enumeration.
export const WRONG_CREDENTIALS = "Email or password is incorrect.";

/** Checks an email and password for sign-in, throttling failures per email and per IP. */
export async function verifyCredentials(db: Db, input: SignInInput, meta: RequestMeta): Promise<Actor> {
  const parsed = signInSchema.safeParse(input);
  if (!parsed.success) throw unauthorized(WRONG_CREDENTIALS);
  const { email, password } = parsed.data;

  const refusal = await checkSignInThrottle(db, email, meta.ip);
  if (refusal) throw tooManyRequests(refusal);

  const [user] = await db.select().from(users).where(sql`lower(${users.email}) = ${email}`).limit(1);
  const isValid = user ? await verifyPassword(password, user.passwordHash) : (await burnPasswordCheck(password), false);
  if (!user || !isValid || user.disabledAt) {
    await recordSignInAttempt(db, email, meta.ip, false);
    throw unauthorized(WRONG_CREDENTIALS);
  }
  await recordSignInAttempt(db, email, meta.ip, true);
  await db.update(users).set({ lastSignInAt: new Date() }).where(eq(users.id, user.id));
  return actorFromUser(user);
}
