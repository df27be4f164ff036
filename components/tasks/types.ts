import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/root";

export type TaskDetail = inferRouterOutputs<AppRouter>["tasks"]["get"];
export type TaskSample = TaskDetail["samples"][number];
