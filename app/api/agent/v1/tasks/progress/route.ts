import { taskProgressRequestSchema } from "@/agent/src/protocol/v1/tasks";
import { agentRoute } from "@/server/agent-api/handle";
import { recordTaskProgress } from "@/server/services/tasks/agent-reports";

export const dynamic = "force-dynamic";

export const POST = agentRoute(taskProgressRequestSchema, (ctx, body) => recordTaskProgress(ctx, body), { maxBodyBytes: 64 * 1024 });
