import fs from "node:fs";
import { overridesFromEnv, readConfigFile, validateConfig, writeConfigFile } from "../config/config";
import { parseFlags, str } from "../config/flags";
import { resolveStateDir } from "../config/state-dir";
import { UserError } from "../errors";

export const INIT_USAGE = `ferry-agent init --console URL --ak AK [options]

Saves the console's URL and an access key pair (AK/SK, created in the console under IAM) to
<state dir>/config.json with mode 0600, for ferry-agent source to use.

Give the secret key (SK) without putting it on the command line, where other users could see it:
  FERRY_SK=... ferry-agent init --console https://console.example.com --ak AK
  ferry-agent init --console https://console.example.com --ak AK --sk-stdin < sk.txt

Options:
  --console URL     the console's address (or FERRY_CONSOLE_URL)
  --ak AK           access key id (or FERRY_AK)
  --sk-stdin        read the secret key from standard input (or set FERRY_SK)
  --sk SK           the secret key on the command line (visible to other users: avoid)
  --ca-file PEM     trust this CA certificate for the console's TLS certificate (self-hosted CAs)
  --allow-http      accept a plain http:// console on another machine (not recommended)
  --state-dir DIR   where the agent keeps its state (or FERRY_AGENT_STATE_DIR;
                    default /var/lib/ferry-agent as root, ~/.ferry-agent otherwise)
  -h, --help        show this help
`;

export type InitOptions = {
  stateDir: string;
  consoleUrl?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  caFile?: string;
  allowHttp?: boolean;
  env?: NodeJS.ProcessEnv;
  write?: (text: string) => void;
};

/** Writes the configuration file; values not given are kept from an existing file. */
export async function initCommand(options: InitOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  let existing = null;
  try {
    existing = readConfigFile(options.stateDir);
  } catch {
    existing = null; // a damaged or too-open file is replaced
  }
  const env = overridesFromEnv(options.env ?? process.env);
  const pick = <T>(...values: (T | undefined | null)[]) => values.find((v) => v !== undefined && v !== null) ?? undefined;
  const config = validateConfig(
    {
      consoleUrl: pick(options.consoleUrl, env.consoleUrl, existing?.consoleUrl),
      accessKeyId: pick(options.accessKeyId, env.accessKeyId, existing?.accessKeyId),
      secretAccessKey: pick(options.secretAccessKey, env.secretAccessKey, existing?.secretAccessKey),
      caFile: pick(options.caFile, env.caFile, existing?.caFile),
      allowHttp: options.allowHttp || existing?.allowHttp || false,
    },
    "the options",
  );
  if (config.caFile) {
    let pem: string;
    try {
      pem = fs.readFileSync(config.caFile, "utf8");
    } catch (error) {
      throw new UserError(`the CA file ${config.caFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new UserError(`the CA file ${config.caFile} holds no PEM certificate`);
  }
  const file = writeConfigFile(options.stateDir, config);
  write(
    `Saved ${file} (mode 0600): console ${config.consoleUrl.toString()}, access key ${config.accessKeyId}${config.caFile ? `, CA ${config.caFile}` : ""}.\n` +
      `Start the agent with: ferry-agent source${options.stateDir === resolveStateDir(undefined) ? "" : ` --state-dir ${options.stateDir}`}\n`,
  );
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

export async function runInitCli(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { console: "string", ak: "string", sk: "string", "sk-stdin": "boolean", "ca-file": "string", "allow-http": "boolean", "state-dir": "string" }, INIT_USAGE);
  if (flags.help) {
    process.stdout.write(INIT_USAGE);
    return 0;
  }
  let secretAccessKey = str(flags.sk);
  if (flags["sk-stdin"]) {
    secretAccessKey = await readStdin();
    if (!secretAccessKey) throw new UserError("--sk-stdin: standard input was empty");
  }
  const stateDir = resolveStateDir(str(flags["state-dir"]));
  return initCommand({
    stateDir,
    consoleUrl: str(flags.console),
    accessKeyId: str(flags.ak),
    secretAccessKey,
    caFile: str(flags["ca-file"]),
    allowHttp: flags["allow-http"] === true,
  });
}

