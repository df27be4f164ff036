/**
 * Domain errors: services throw these; adapters (tRPC, agent HTTP routes) map them to codes.
 * Their messages are written for users. Any other error is a bug and is never shown as-is.
 */
export type DomainErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS"
  | "PRECONDITION_FAILED";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new DomainError("BAD_REQUEST", message, details);
export const unauthorized = (message = "Sign in first.") => new DomainError("UNAUTHORIZED", message);
export const forbidden = (message: string) => new DomainError("FORBIDDEN", message);
export const notFound = (what: string) => new DomainError("NOT_FOUND", `${what} was not found.`);
export const conflict = (message: string) => new DomainError("CONFLICT", message);
export const tooManyRequests = (message: string) => new DomainError("TOO_MANY_REQUESTS", message);

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

const HTTP_STATUS: Record<DomainErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  TOO_MANY_REQUESTS: 429,
};

export function httpStatusOf(code: DomainErrorCode): number {
  return HTTP_STATUS[code];
}
