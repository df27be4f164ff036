import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type { Database } from "../db";
import { conflict, forbidden, notFound } from "../errors";
import { createTestAccount } from "../testing/fixtures";
import { createTestDatabase } from "../testing/test-db";
import { authedProcedure, createCallerFactory, createRouter, publicProcedure, type TrpcContext } from "./init";
import { createCaller } from "./root";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const probeRouter = createRouter({
  notFound: authedProcedure.query(() => {
    throw notFound("Source server");
  }),
  forbidden: authedProcedure.query(() => {
    throw forbidden("You may not do that.");
  }),
  conflict: authedProcedure.query(() => {
    throw conflict("Already exists.");
  }),
  rawDatabaseError: authedProcedure.query(async ({ ctx }) => {
    await ctx.db.execute("select * from table_that_does_not_exist_secret_name" as never);
  }),
  validated: publicProcedure.input(z.object({ n: z.number().min(1, "n must be at least 1") })).query(({ input }) => input.n),
});

async function context(withActor: boolean): Promise<TrpcContext> {
  const actor = withActor ? { ...(await createTestAccount(database.db)).actor, accountName: "t" } : null;
  return { db: database.db, actor, meta: { ip: "127.0.0.1" } };
}

describe("tRPC error mapping", () => {
  it("maps domain errors to their codes with the user-facing message", async () => {
    const caller = createCallerFactory(probeRouter)(await context(true));
    await expect(caller.notFound()).rejects.toMatchObject({ code: "NOT_FOUND", message: "Source server was not found." });
    await expect(caller.forbidden()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.conflict()).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("never lets a raw database message reach the client", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const caller = createCallerFactory(probeRouter)(await context(true));
    const error = await caller.rawDatabaseError().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("INTERNAL_SERVER_ERROR");
    expect((error as TRPCError).message).not.toMatch(/table_that_does_not_exist|relation|does not exist/);
    expect((error as TRPCError).message).toMatch(/reference [a-z0-9]+/);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });

  it("refuses bad input with BAD_REQUEST", async () => {
    const caller = createCallerFactory(probeRouter)(await context(false));
    await expect(caller.validated({ n: 0 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("refuses signed-out callers with UNAUTHORIZED", async () => {
    const caller = createCaller(await context(false));
    await expect(caller.session.me()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const signedIn = createCaller(await context(true));
    await expect(signedIn.session.me()).resolves.toMatchObject({ accountName: "t" });
  });
});
