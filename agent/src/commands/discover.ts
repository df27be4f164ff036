import { UserError } from "../errors";

export async function runDiscoverCli(_argv: string[]): Promise<number> {
  throw new UserError("discover is not implemented yet", 2);
}
