import type { z } from "zod";
import type { TaskCertificateRole } from "@/agent/src/protocol/v1/certificates";
import type { ConsoleApi } from "@/agent/src/control/console-client";
import { obtainPassCertificate, type PassCertificate } from "@/agent/src/control/task-certificates";
import type { ServiceContext } from "../services/context";
import { signTaskCertificate } from "../services/tasks/certificates";

/** The agent's own certificate request (key made, CSR posted), answered by the service instead of HTTP. */
export function agentConsoleFor(ctx: ServiceContext): ConsoleApi {
  return {
    call: async <S extends z.ZodType>(_path: string, body: unknown, schema: S) => schema.parse(await signTaskCertificate(ctx, body as never)) as z.infer<S>,
  };
}

/** What an agent of the world does for a pass: make its key, have the console sign its CSR. */
export function obtainTestPassCertificate(
  ctx: ServiceContext,
  request: { agentId: string; taskId: string; passId: string; role: TaskCertificateRole },
): Promise<PassCertificate> {
  return obtainPassCertificate(agentConsoleFor(ctx), request);
}
