import { discover } from "../discovery/discover";
import type { Host } from "../discovery/host";
import { UserError } from "../errors";

export const DISCOVER_USAGE = `ferry-agent discover [--pretty]

Prints what this server would report to the Ferry console, as JSON, without contacting anyone.
Fields that cannot be read are null; "notes" says why.

Options:
  --pretty    indent the JSON for reading
  -h, --help  show this help
`;

export type DiscoverCommandOptions = {
  pretty?: boolean;
  write?: (text: string) => void;
  host?: Host;
};

export async function discoverCommand(options: DiscoverCommandOptions = {}): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const report = await discover({ host: options.host });
  write(`${JSON.stringify(report, null, options.pretty ? 2 : undefined)}\n`);
  return 0;
}

export function parseDiscoverArgs(argv: string[]): { help: boolean; pretty: boolean } {
  let help = false;
  let pretty = false;
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h") help = true;
    else if (arg === "--pretty") pretty = true;
    else throw new UserError(`unknown option "${arg}".\n\n${DISCOVER_USAGE}`, 2);
  }
  return { help, pretty };
}

export async function runDiscoverCli(argv: string[]): Promise<number> {
  const args = parseDiscoverArgs(argv);
  if (args.help) {
    process.stdout.write(DISCOVER_USAGE);
    return 0;
  }
  return discoverCommand({ pretty: args.pretty });
}
