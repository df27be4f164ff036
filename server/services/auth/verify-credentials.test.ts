import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "@/drizzle/schema";
import type { Database } from "../../db";
import { createTestAccount, TEST_PASSWORD } from "../../testing/fixtures";
import { createTestDatabase } from "../../testing/test-db";
import { MAX_FAILURES_PER_EMAIL } from "./throttle";
import { verifyCredentials, WRONG_CREDENTIALS } from "./verify-credentials";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

describe("verifyCredentials", () => {
  it("accepts the right password whatever the email's case and returns the actor", async () => {
    const { user, account } = await createTestAccount(database.db);
    const actor = await verifyCredentials(database.db, { email: user.email.toUpperCase(), password: TEST_PASSWORD }, { ip: "10.0.0.1" });
    expect(actor).toMatchObject({ userId: user.id, accountId: account.id });
  });

  it("gives one message for a wrong password, an unknown email and a disabled user", async () => {
    const { user } = await createTestAccount(database.db);
    const ip = { ip: "10.0.0.2" };
    await expect(verifyCredentials(database.db, { email: user.email, password: "wrong" }, ip)).rejects.toThrow(WRONG_CREDENTIALS);
    await expect(verifyCredentials(database.db, { email: "nobody@example.test", password: TEST_PASSWORD }, ip)).rejects.toThrow(WRONG_CREDENTIALS);
    await database.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.id));
    await expect(verifyCredentials(database.db, { email: user.email, password: TEST_PASSWORD }, ip)).rejects.toThrow(WRONG_CREDENTIALS);
  });

  it("throttles an email after repeated failures, even with the right password", async () => {
    const { user } = await createTestAccount(database.db);
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
      await expect(verifyCredentials(database.db, { email: user.email, password: `bad-${i}` }, { ip: `10.1.0.${i}` })).rejects.toThrow(WRONG_CREDENTIALS);
    }
    await expect(verifyCredentials(database.db, { email: user.email, password: TEST_PASSWORD }, { ip: "10.1.1.1" })).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
    });
    // Another user is not affected by this user's lock.
    const other = await createTestAccount(database.db);
    await expect(verifyCredentials(database.db, { email: other.user.email, password: TEST_PASSWORD }, { ip: "10.1.1.1" })).resolves.toBeTruthy();
  });

  it("throttles an IP address that guesses across many emails", async () => {
    const ip = { ip: "10.9.9.9" };
    for (let i = 0; i < 30; i++) {
      await expect(verifyCredentials(database.db, { email: `guess-${i}@example.test`, password: "x" }, ip)).rejects.toThrow(WRONG_CREDENTIALS);
    }
    const { user } = await createTestAccount(database.db);
    await expect(verifyCredentials(database.db, { email: user.email, password: TEST_PASSWORD }, ip)).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
    });
  });
});
