import { createCallerFactory, createRouter } from "./init";
import { auditRouter } from "./routers/audit";
import { iamRouter } from "./routers/iam";
import { serversRouter } from "./routers/servers";
import { sessionRouter } from "./routers/session";
import { setupRouter } from "./routers/setup";
import { tasksRouter } from "./routers/tasks";
import { templatesRouter } from "./routers/templates";

export const appRouter = createRouter({
  audit: auditRouter,
  iam: iamRouter,
  servers: serversRouter,
  session: sessionRouter,
  setup: setupRouter,
  tasks: tasksRouter,
  templates: templatesRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
