import { reportCommandResultRequestSchema } from "@/agent/src/protocol/v1/control";
import { agentRoute } from "@/server/agent-api/handle";
import { reportCommandResult } from "@/server/services/servers/commands";

export const dynamic = "force-dynamic";

export const POST = agentRoute(reportCommandResultRequestSchema, (ctx, body) => reportCommandResult(ctx, body), { maxBodyBytes: 64 * 1024 });
