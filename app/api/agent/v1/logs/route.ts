import { MAX_LOG_UPLOAD_BYTES, uploadLogRequestSchema } from "@/agent/src/protocol/v1/control";
import { agentRoute } from "@/server/agent-api/handle";
import { uploadAgentLog } from "@/server/services/servers/logs";

export const dynamic = "force-dynamic";

// JSON escaping can make log text longer on the wire than in bytes; allow for it.
export const POST = agentRoute(uploadLogRequestSchema, (ctx, body) => uploadAgentLog(ctx, body), {
  maxBodyBytes: 2 * MAX_LOG_UPLOAD_BYTES,
  bodyName: "The log upload",
});
