import { ackCommandRequestSchema } from "@/agent/src/protocol/v1/control";
import { agentRoute } from "@/server/agent-api/handle";
import { ackCommand } from "@/server/services/servers/commands";

export const dynamic = "force-dynamic";

export const POST = agentRoute(ackCommandRequestSchema, (ctx, body) => ackCommand(ctx, body), { maxBodyBytes: 4096 });
