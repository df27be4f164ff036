import { registerTargetRequestSchema } from "@/agent/src/protocol/v1/register";
import { MAX_SOURCE_REPORT_BYTES } from "@/agent/src/protocol/v1/report";
import { agentRoute } from "@/server/agent-api/handle";
import { registerTargetServer } from "@/server/services/servers/register";

export const dynamic = "force-dynamic";

export const POST = agentRoute(registerTargetRequestSchema, (ctx, body) => registerTargetServer(ctx, body), { maxBodyBytes: MAX_SOURCE_REPORT_BYTES + 64 * 1024 });
