import { pollCommandsRequestSchema } from "@/agent/src/protocol/v1/control";
import { agentRoute } from "@/server/agent-api/handle";
import { pollCommands } from "@/server/services/servers/commands";

export const dynamic = "force-dynamic";

export const POST = agentRoute(pollCommandsRequestSchema, (ctx, body, request) => pollCommands(ctx, body, { signal: request.signal }), {
  maxBodyBytes: 4096,
});
