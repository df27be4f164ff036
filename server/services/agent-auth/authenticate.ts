import { and, eq, isNull, lt } from "drizzle-orm";
import { accessKeys, requestNonces, users } from "@/drizzle/schema";
import { openSecret } from "../../crypto/secret-box";
import type { Db } from "../../db";
import { unauthorized } from "../../errors";
import { getSecrets } from "../../secrets";
import { DEFAULT_MAX_SKEW_MS, parseAuthorizationHeader, verifySignature } from "@/agent/src/protocol/v1/signing";
import { actorFromUser, type Actor } from "../auth/actor";
import { secretKeyAad } from "../iam/access-keys";

/** One answer for every failure (unknown, disabled or wrong key, bad signature, replay). */
export const AGENT_UNAUTHORIZED = "The request is not signed with a valid, enabled access key.";

export type SignedRequest = {
  method: string;
  /** Path and query as the client signed them. */
  url: string;
  headers: Headers;
  body: Uint8Array;
};

/**
 * Authenticates an agent API call signed with SDK-HMAC-SHA256: finds the access key, checks the
 * signature and the clock skew, refuses a nonce seen before, and returns the key's user as actor.
 */
export async function authenticateSignedRequest(db: Db, request: SignedRequest, now = new Date()): Promise<Actor> {
  const parsed = parseAuthorizationHeader(request.headers.get("authorization") ?? "");
  if (!parsed) throw unauthorized(AGENT_UNAUTHORIZED);
  const [row] = await db
    .select({ key: accessKeys, user: users })
    .from(accessKeys)
    .innerJoin(users, eq(users.id, accessKeys.userId))
    .where(and(eq(accessKeys.accessKeyId, parsed.accessKey), eq(accessKeys.status, "active"), isNull(users.disabledAt)));
  if (!row) throw unauthorized(AGENT_UNAUTHORIZED);

  let sk: string;
  try {
    sk = openSecret(getSecrets().masterKey, row.key.sealedSecret, secretKeyAad(row.key.accountId, row.key.accessKeyId));
  } catch (error) {
    console.error(`[agent-auth] access key ${row.key.accessKeyId} cannot be opened (wrong master key?)`, error);
    throw unauthorized(AGENT_UNAUTHORIZED);
  }
  const result = verifySignature({ method: request.method, url: request.url, headers: request.headers, body: request.body, sk, now });
  if (!result.ok) throw unauthorized(AGENT_UNAUTHORIZED);

  // A nonce is remembered for twice the skew window: a replay inside the window is refused.
  await db.delete(requestNonces).where(lt(requestNonces.expiresAt, now));
  const inserted = await db
    .insert(requestNonces)
    .values({ accessKeyId: row.key.accessKeyId, nonce: result.nonce, expiresAt: new Date(now.getTime() + 2 * DEFAULT_MAX_SKEW_MS) })
    .onConflictDoNothing()
    .returning({ nonce: requestNonces.nonce });
  if (!inserted.length) throw unauthorized(AGENT_UNAUTHORIZED);

  await db.update(accessKeys).set({ lastUsedAt: now }).where(eq(accessKeys.id, row.key.id));
  return actorFromUser(row.user, row.key.accessKeyId);
}
