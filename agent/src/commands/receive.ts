import { UserError } from "../errors";

export async function runReceiveCli(_argv: string[]): Promise<number> {
  throw new UserError("receive is not implemented yet", 2);
}
