import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Action } from "../authz/actions";
import type { Db } from "../db";
import { isDomainError } from "../errors";
import type { Actor, RequestMeta } from "../services/auth/actor";

export type TrpcContext = {
  db: Db;
  actor: (Actor & { accountName: string; mustChangePassword?: boolean }) | null;
  meta: RequestMeta;
};

/**
 * Every procedure declares what it does: a catalogue action (checked by its service verb), or why
 * it needs none (public setup, or self-service on the caller's own session and password).
 * A test walks the router and fails on any procedure without one.
 */
export type ProcedureMeta = { action: Action } | { access: "public" | "self" };

const t = initTRPC.context<TrpcContext>().meta<ProcedureMeta>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    return {
      ...shape,
      data: {
        ...shape.data,
        stack: undefined,
        fieldErrors: zodError ? zodError.issues.map((i) => ({ path: i.path.join("."), message: i.message })) : undefined,
      },
    };
  },
});

/**
 * Turns domain errors into their tRPC codes and anything else into a generic INTERNAL_SERVER_ERROR,
 * so a raw database or library message never reaches a client. The original is logged.
 */
const mapErrors = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (isDomainError(cause)) {
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  if (result.error.code === "INTERNAL_SERVER_ERROR") {
    const reference = Math.random().toString(36).slice(2, 10);
    console.error(`[trpc] ${path} failed (ref ${reference}):`, cause ?? result.error);
    throw new TRPCError({
      code: "INTERNAL_SERVER_ERROR",
      message: `Something went wrong on the server (reference ${reference}). The error was logged.`,
    });
  }
  return result;
});

export const createRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Open to anyone: only first-run setup and health. */
export const publicProcedure = t.procedure.use(mapErrors);

/** Authenticates only; each service verb checks the permission itself. */
export const authedProcedure = publicProcedure.use(({ ctx, next, path }) => {
  if (!ctx.actor) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  if (ctx.actor.mustChangePassword && !path.startsWith("session.")) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Change your initial password first." });
  }
  return next({ ctx: { db: ctx.db, meta: ctx.meta, actor: ctx.actor } });
});
