import "server-only";
import { ZodError, type z } from "zod";
import { getDb } from "../db";
import { httpStatusOf, isDomainError } from "../errors";
import { clientIpFrom } from "../request-meta";
import { authenticateSignedRequest } from "../services/agent-auth/authenticate";
import type { ServiceContext } from "../services/context";

/** A body larger than this is refused before it is read whole (reports are at most 1 MiB). */
export const MAX_AGENT_BODY_BYTES = 2 * 1024 * 1024;

function errorResponse(status: number, code: string, message: string) {
  return Response.json({ error: { code, message } }, { status });
}

async function readBody(request: Request): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_AGENT_BODY_BYTES) return null;
  const buffer = new Uint8Array(await request.arrayBuffer());
  return buffer.byteLength > MAX_AGENT_BODY_BYTES ? null : buffer;
}

/**
 * The agent API's one adapter: read the raw body (the signature covers its bytes), authenticate
 * the SDK-HMAC-SHA256 signature, parse the JSON with the protocol schema, call the service and map
 * errors to HTTP codes. A raw exception never reaches the agent.
 */
export function agentRoute<S extends z.ZodType, R>(
  schema: S | null,
  run: (ctx: ServiceContext, body: z.infer<S>, request: Request) => Promise<R>,
) {
  return async (request: Request): Promise<Response> => {
    try {
      const body = await readBody(request);
      if (!body) return errorResponse(413, "PAYLOAD_TOO_LARGE", `The request body is larger than ${MAX_AGENT_BODY_BYTES} bytes.`);
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
