import { UserError } from "../errors";

/** The console could not be reached or answered with a server error: worth retrying later. */
export class ConsoleUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConsoleUnreachableError";
  }
}

/** 404: what the agent named (its server, a command) does not exist in the key's account. */
export class ConsoleNotFoundError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "ConsoleNotFoundError";
  }
}

export const ACCESS_KEY_REFUSED = "the access key was refused: check AK/SK and that the key is enabled (and that this machine's clock is right)";

export function isRetryable(error: unknown): error is ConsoleUnreachableError {
  return error instanceof ConsoleUnreachableError;
}
