import { registerSourceRequestSchema } from "@/agent/src/protocol/v1/register";
import { MAX_SOURCE_REPORT_BYTES } from "@/agent/src/protocol/v1/report";
import { agentRoute } from "@/server/agent-api/handle";
import { registerSourceServer } from "@/server/services/servers/register";

export const dynamic = "force-dynamic";

// The envelope ({ agentId, report }) adds a few dozen bytes to the report.
export const POST = agentRoute(registerSourceRequestSchema, (ctx, body) => registerSourceServer(ctx, body), {
  maxBodyBytes: MAX_SOURCE_REPORT_BYTES + 1024,
  bodyName: "The source report",
});
