import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessKeys, users } from "@/drizzle/schema";
import { signRequest } from "@/agent/src/protocol/v1/signing";
import type { Database } from "../../db";
import { createTestAccount } from "../../testing/fixtures";
import { createTestDatabase } from "../../testing/test-db";
import { createAccessKey, setAccessKeyStatus } from "../iam/access-keys";
import { AGENT_UNAUTHORIZED, authenticateSignedRequest, type SignedRequest } from "./authenticate";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const URL_PATH = "/api/agent/v1/servers/register?x=1";
const BODY = JSON.stringify({ hello: "world" });

function signed(ak: string, sk: string, overrides: { date?: Date; nonce?: string; body?: string } = {}): SignedRequest {
  const headers = new Headers({ host: "console.example.test", "content-type": "application/json" });
  const added = signRequest({ method: "POST", url: URL_PATH, headers, body: overrides.body ?? BODY, ak, sk, date: overrides.date, nonce: overrides.nonce });
  for (const [k, v] of Object.entries(added)) headers.set(k, v);
  return { method: "POST", url: URL_PATH, headers, body: new TextEncoder().encode(overrides.body ?? BODY) };
}

async function newKey() {
  const { ctx, user } = await createTestAccount(database.db);
  const key = await createAccessKey(ctx, {});
  return { ctx, user, ak: key.accessKeyId, sk: key.secretAccessKey };
}

describe("signed agent requests", () => {
  it("accepts a correctly signed request as the key's user and records last use", async () => {
    const { user, ak, sk } = await newKey();
    const actor = await authenticateSignedRequest(database.db, signed(ak, sk));
    expect(actor).toMatchObject({ userId: user.id, accessKeyId: ak });
    const [row] = await database.db.select().from(accessKeys).where(eq(accessKeys.accessKeyId, ak));
    expect(row!.lastUsedAt).not.toBeNull();
    expect(row!.sealedSecret).not.toContain(sk);
  });

  it("refuses a replayed request (same nonce)", async () => {
    const { ak, sk } = await newKey();
    const request = signed(ak, sk);
    await authenticateSignedRequest(database.db, request);
    await expect(authenticateSignedRequest(database.db, request)).rejects.toThrow(AGENT_UNAUTHORIZED);
  });

  it("refuses a stale date, a changed body, a wrong SK, an unknown or disabled key, a disabled user — with one message", async () => {
    const { ctx, user, ak, sk } = await newKey();
    const attempts: SignedRequest[] = [
      signed(ak, sk, { date: new Date(Date.now() - 6 * 60 * 1000) }),
      { ...signed(ak, sk), body: new TextEncoder().encode(BODY.replace("world", "World")) },
      signed(ak, "x".repeat(40)),
      signed("UNKNOWNKEY0000000000", sk),
    ];
    for (const request of attempts) {
      await expect(authenticateSignedRequest(database.db, request)).rejects.toMatchObject({ code: "UNAUTHORIZED", message: AGENT_UNAUTHORIZED });
    }
    await setAccessKeyStatus(ctx, { accessKeyId: ak, status: "inactive" });
    await expect(authenticateSignedRequest(database.db, signed(ak, sk))).rejects.toThrow(AGENT_UNAUTHORIZED);
    await setAccessKeyStatus(ctx, { accessKeyId: ak, status: "active" });
    await authenticateSignedRequest(database.db, signed(ak, sk));
    await database.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.id));
    await expect(authenticateSignedRequest(database.db, signed(ak, sk))).rejects.toThrow(AGENT_UNAUTHORIZED);
  });

  it("keeps at most two keys per user", async () => {
    const { ctx } = await newKey();
    await createAccessKey(ctx, {});
    await expect(createAccessKey(ctx, {})).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
