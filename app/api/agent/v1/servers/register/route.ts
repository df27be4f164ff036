import { registerSourceRequestSchema } from "@/agent/src/protocol/v1/register";
import { agentRoute } from "@/server/agent-api/handle";
import { registerSourceServer } from "@/server/services/servers/register";

export const dynamic = "force-dynamic";

export const POST = agentRoute(registerSourceRequestSchema, (ctx, body) => registerSourceServer(ctx, body));
