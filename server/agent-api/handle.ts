import "server-only";
import { ZodError, type z } from "zod";
import { getDb } from "../db";
import { httpStatusOf, isDomainError } from "../errors";
import { clientIpFrom } from "../request-meta";
import { authenticateSignedRequest } from "../services/agent-auth/authenticate";
import type { ServiceContext } from "../services/context";

/** A body larger than this is refused before it is read whole (reports are at most 1 MiB). */
export const MAX_AGENT_BODY_BYTES = 2 * 1024 * 1024;

export type AgentRouteOptions = {
  /** Largest body this route takes (at most MAX_AGENT_BODY_BYTES). */
  maxBodyBytes?: number;
  /** Names what the body is in the refusal of a body too large, e.g. "A source report". */
  bodyName?: string;
};

function errorResponse(status: number, code: string, message: string) {
  return Response.json({ error: { code, message } }, { status });
}

/** The body, or its size when it is over the limit (then not read further than the limit allows). */
async function readBody(request: Request, limit: number): Promise<Uint8Array | { tooLarge: number }> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return { tooLarge: declared };
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return { tooLarge: size };
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * The agent API's one adapter: read the raw body (the signature covers its bytes), authenticate
 * the SDK-HMAC-SHA256 signature, parse the JSON with the protocol schema, call the service and map
 * errors to HTTP codes. A raw exception never reaches the agent.
 */
export function agentRoute<S extends z.ZodType, R>(
  schema: S | null,
  run: (ctx: ServiceContext, body: z.infer<S>, request: Request) => Promise<R>,
  options: AgentRouteOptions = {},
) {
  const limit = Math.min(options.maxBodyBytes ?? MAX_AGENT_BODY_BYTES, MAX_AGENT_BODY_BYTES);
  return async (request: Request): Promise<Response> => {
    try {
      const body = await readBody(request, limit);
      // 400 rather than 413: the agent treats every 4xx but 401/404 as "fix your input", with the reason.
      if (!(body instanceof Uint8Array)) {
        return errorResponse(400, "BAD_REQUEST", `${options.bodyName ?? "The request body"} is too large: more than ${limit} bytes (at least ${body.tooLarge} were sent).`);
      }
      const url = new URL(request.url);
      const db = await getDb();
      const actor = await authenticateSignedRequest(db, {
        method: request.method,
        url: url.pathname + url.search,
        headers: request.headers,
        body,
      });
      let parsed: unknown = undefined;
      if (schema) {
        let json: unknown;
        try {
          json = JSON.parse(new TextDecoder().decode(body));
        } catch {
          return errorResponse(400, "BAD_REQUEST", "The request body is not valid JSON.");
        }
        const result = schema.safeParse(json);
        if (!result.success) {
          const reason = result.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
          return errorResponse(400, "BAD_REQUEST", `The request body is not valid: ${reason}`);
        }
        parsed = result.data;
      }
      const ctx: ServiceContext = { db, actor, meta: { ip: clientIpFrom(request.headers), isSecure: url.protocol === "https:" } };
      const value = await run(ctx, parsed as z.infer<S>, request);
      return Response.json(value ?? { ok: true });
    } catch (error) {
      if (isDomainError(error)) return errorResponse(httpStatusOf(error.code), error.code, error.message);
      if (error instanceof ZodError) return errorResponse(400, "BAD_REQUEST", error.issues[0]?.message ?? "Invalid request");
      const reference = Math.random().toString(36).slice(2, 10);
      console.error(`[agent-api] ${request.method} ${new URL(request.url).pathname} failed (ref ${reference}):`, error);
      return errorResponse(500, "INTERNAL_ERROR", `Something went wrong on the server (reference ${reference}).`);
    }
  };
}
