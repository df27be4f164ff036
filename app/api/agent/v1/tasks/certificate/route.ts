import { MAX_CSR_PEM_CHARS, signTaskCertificateRequestSchema } from "@/agent/src/protocol/v1/certificates";
import { agentRoute } from "@/server/agent-api/handle";
import { signTaskCertificate } from "@/server/services/tasks/certificates";

export const dynamic = "force-dynamic";

export const POST = agentRoute(signTaskCertificateRequestSchema, (ctx, body) => signTaskCertificate(ctx, body), {
  maxBodyBytes: MAX_CSR_PEM_CHARS + 1024,
  bodyName: "The certificate request",
});
