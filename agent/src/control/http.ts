import http from "node:http";
import https from "node:https";

export type HttpRequest = {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  /** CA certificates (PEM) to trust instead of the system's. */
  ca?: string | Buffer;
  signal?: AbortSignal;
};

export type HttpResponse = { status: number; body: string };

/** Errors that say the certificate cannot be trusted: not worth retrying, the user must act. */
const CERTIFICATE_ERRORS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
]);

export class HttpTransportError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly isCertificateError: boolean,
  ) {
    super(message);
    this.name = "HttpTransportError";
  }
}

/**
 * One HTTP(S) request with an overall deadline. node:https rather than fetch: it takes a CA for
 * self-hosted certificates without extra packages, and certificate checks stay on (rejectUnauthorized).
 */
export function sendHttpRequest(request: HttpRequest): Promise<HttpResponse> {
  const isHttps = request.url.protocol === "https:";
  const transport = isHttps ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      if (error) reject(error);
      else resolve(response!);
    };
    const req = transport.request(
      request.url,
      {
        method: request.method,
        headers: { ...request.headers, ...(request.body ? { "content-length": String(request.body.length) } : {}) },
        ...(isHttps ? { ca: request.ca, rejectUnauthorized: true, minVersion: "TLSv1.2" as const } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => finish(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (error) => finish(new HttpTransportError(error.message, undefined, false)));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(new HttpTransportError(`no answer within ${Math.round(request.timeoutMs / 1000)} s`, "ETIMEDOUT", false));
    }, request.timeoutMs);
    const onAbort = () => {
      req.destroy();
      finish(new HttpTransportError("cancelled", "ABORTED", false));
    };
    if (request.signal?.aborted) return onAbort();
    request.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (error: NodeJS.ErrnoException) => {
      const code = error.code;
      finish(new HttpTransportError(error.message, code, code !== undefined && CERTIFICATE_ERRORS.has(code)));
    });
    req.end(request.body);
  });
}
