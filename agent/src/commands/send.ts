import { UserError } from "../errors";

export async function runSendCli(_argv: string[]): Promise<number> {
  throw new UserError("send is not implemented yet", 2);
}
