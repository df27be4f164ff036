import { heartbeatRequestSchema } from "@/agent/src/protocol/v1/control";
import { agentRoute } from "@/server/agent-api/handle";
import { recordHeartbeat } from "@/server/services/servers/heartbeat";

export const dynamic = "force-dynamic";

export const POST = agentRoute(heartbeatRequestSchema, (ctx, body) => recordHeartbeat(ctx, body), { maxBodyBytes: 4096 });
