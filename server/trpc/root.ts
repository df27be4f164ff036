import { createCallerFactory, createRouter } from "./init";
import { sessionRouter } from "./routers/session";
import { setupRouter } from "./routers/setup";

export const appRouter = createRouter({
  session: sessionRouter,
  setup: setupRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
