import fs from "node:fs";
import type { z } from "zod";
import { UserError } from "../errors";
import { agentApiErrorSchema } from "../protocol/v1/register";
import { signRequest } from "../protocol/v1/signing";
import type { AgentConfig } from "../config/config";
import { ACCESS_KEY_REFUSED, ConsoleNotFoundError, ConsoleUnreachableError } from "./errors";
import { HttpTransportError, sendHttpRequest, type HttpRequest, type HttpResponse } from "./http";

export const DEFAULT_TIMEOUT_MS = 20_000;

export type CallOptions = { timeoutMs?: number; signal?: AbortSignal };

/** What the source agent needs from the console; tests substitute their own. */
export interface ConsoleApi {
  call<S extends z.ZodType>(path: string, body: unknown, responseSchema: S, options?: CallOptions): Promise<z.infer<S>>;
}

function consoleMessage(body: string): string | null {
  try {
    const parsed = agentApiErrorSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.error.message : null;
  } catch {
    return null;
  }
}

/**
 * Signed calls to the console's agent API (SDK-HMAC-SHA256 over method, path, query, host, date,
 * nonce, content type and body). Failures become a ConsoleUnreachableError (retry later), a
 * ConsoleNotFoundError, or a UserError saying what to fix. The SK is used to sign, nothing else.
 */
export class ConsoleClient implements ConsoleApi {
  private readonly ca: Buffer | undefined;

  constructor(
    private readonly config: AgentConfig,
    private readonly send: (request: HttpRequest) => Promise<HttpResponse> = sendHttpRequest,
  ) {
    if (config.caFile) {
      try {
        this.ca = fs.readFileSync(config.caFile);
      } catch (error) {
        throw new UserError(`the CA file ${config.caFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
  }

  get consoleUrl(): URL {
    return this.config.consoleUrl;
  }

  async call<S extends z.ZodType>(path: string, body: unknown, responseSchema: S, options: CallOptions = {}): Promise<z.infer<S>> {
    const url = new URL(path.replace(/^\//, ""), this.config.consoleUrl);
    const text = JSON.stringify(body);
    // Content-Type is set (and so signed) explicitly; Host is signed as the transport will send it.
    const headers: Record<string, string> = { host: url.host, "content-type": "application/json", accept: "application/json" };
    const signed = signRequest({ method: "POST", url: url.toString(), headers, body: text, ak: this.config.accessKeyId, sk: this.config.secretAccessKey });
    let response: HttpResponse;
    try {
      response = await this.send({
        method: "POST",
        url,
        headers: { ...headers, ...signed },
        body: Buffer.from(text),
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ca: this.ca,
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof HttpTransportError && error.isCertificateError) {
        throw new UserError(
          `the console's TLS certificate is not trusted (${error.code}): if it is self-signed or from a private CA, pass --ca-file with that CA's certificate`,
        );
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConsoleUnreachableError(`the console at ${this.config.consoleUrl.origin} cannot be reached: ${reason}`);
    }
    return this.interpret(response, responseSchema, url.pathname);
  }

  private interpret<S extends z.ZodType>(response: HttpResponse, schema: S, path: string): z.infer<S> {
    const message = consoleMessage(response.body);
    if (response.status === 401) throw new UserError(ACCESS_KEY_REFUSED);
    if (response.status === 403) throw new UserError(`the console refused ${path}: ${message ?? "permission denied"}`);
    if (response.status === 404) {
      if (message) throw new ConsoleNotFoundError(message);
      // A 404 without our error body: not a Ferry console, or a wrong path prefix in the URL.
      throw new UserError(`${this.config.consoleUrl.origin}${path} was not found: is ${this.config.consoleUrl} the Ferry console's URL?`);
    }
    if (response.status === 429 || response.status >= 500) {
      throw new ConsoleUnreachableError(`the console answered ${response.status}${message ? `: ${message}` : ""}`);
    }
    if (response.status < 200 || response.status >= 300) {
      throw new UserError(`the console refused the request (${response.status}): ${message ?? response.body.slice(0, 200)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch {
      throw new ConsoleUnreachableError(`the console's answer to ${path} is not JSON (a proxy in between?)`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ConsoleUnreachableError(`the console's answer to ${path} is not what this agent expects: is the agent up to date?`);
    return parsed.data;
  }
}
