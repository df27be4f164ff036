import { resolveConfig, type ConfigOverrides } from "../config/config";
import { parseFlags, str } from "../config/flags";
import { resolveStateDir } from "../config/state-dir";
import { openAgentProcess } from "./agent-process";
import { prepareFileTransfer } from "./prepare-file-transfer";
import { ConsoleClient, type ConsoleApi } from "../control/console-client";
import { runSourceAgent } from "../control/source-agent";
import { discover } from "../discovery/discover";
import { withImageDisks } from "../discovery/image-disks";
import type { SourceReport } from "../protocol/v1/report";

export const SOURCE_USAGE = `ferry-agent source [options]

Runs the agent on a source server: registers it with the console (the access key's account),
sends heartbeats, and runs the commands queued in the console (refresh the report, collect
logs, stop, and migration tasks: each copy goes straight to the target agent's receiver over
TLS, reporting its progress to the console every second). Run ferry-agent init first, or give the settings in the environment:
FERRY_CONSOLE_URL, FERRY_AK, FERRY_SK (the SK is never accepted on the command line here).

Stops on SIGTERM or SIGINT. Logs to <state dir>/logs/agent.log (rotated, 5 × 1 MiB).

Options:
  --console URL     override the console's address
  --ak AK           override the access key id
  --ca-file PEM     trust this CA certificate for the console's TLS certificate
  --allow-http      accept a plain http:// console on another machine
  --state-dir DIR   state folder (or FERRY_AGENT_STATE_DIR)
  --verbose         print every log line on the terminal, including debug lines
  --disk-images LIST  report these image files (comma-separated) as the server's disks instead of
                    its block devices, the first as the system disk: a server whose disks are
                    images (a VM's disk files, the demo's sample server)
  -h, --help        show this help
`;

export type SourceCommandOptions = {
  stateDir: string;
  flags?: ConfigOverrides;
  verbose?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Tests substitute these; by default the real console client and discovery. */
  console?: ConsoleApi;
  discover?: () => Promise<SourceReport>;
  pollWaitSeconds?: number;
  out?: (text: string) => void;
};

export async function sourceCommand(options: SourceCommandOptions): Promise<number> {
  const env = options.env ?? process.env;
  const out = options.out ?? ((text: string) => process.stdout.write(text));
  const config = resolveConfig({ stateDir: options.stateDir, flags: options.flags, env });
  const { logger, release: releasePid, onReceiptPersisted } = openAgentProcess({ stateDir: options.stateDir, verbose: options.verbose, secret: config.secretAccessKey, env });
  out(`ferry-agent source: console ${config.consoleUrl.toString()}, access key ${config.accessKeyId}; log ${logger.file}\n`);
  try {
    await prepareFileTransfer(config, logger);
    const outcome = await runSourceAgent({
      console: options.console ?? new ConsoleClient(config),
      consoleUrl: config.consoleUrl.toString(),
      stateDir: options.stateDir,
      logger,
      discover: options.discover ?? (() => discover()),
      signal: options.signal,
      pollWaitSeconds: options.pollWaitSeconds,
      onReceiptPersisted,
    });
    out(outcome.reason === "stop-command" ? "ferry-agent source: stopped by the console.\n" : "ferry-agent source: stopped.\n");
    return 0;
  } finally {
    releasePid();
  }
}

export async function runSourceCli(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { console: "string", ak: "string", "ca-file": "string", "allow-http": "boolean", "state-dir": "string", verbose: "boolean", "disk-images": "string" }, SOURCE_USAGE);
  if (flags.help) {
    process.stdout.write(SOURCE_USAGE);
    return 0;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    return await sourceCommand({
      stateDir: resolveStateDir(str(flags["state-dir"])),
      flags: {
        consoleUrl: str(flags.console),
        accessKeyId: str(flags.ak),
        caFile: str(flags["ca-file"]),
        allowHttp: flags["allow-http"] === true ? true : undefined,
      },
      verbose: flags.verbose === true,
      signal: controller.signal,
      ...(str(flags["disk-images"]) ? { discover: async () => withImageDisks(await discover(), str(flags["disk-images"])!.split(",").filter(Boolean)) } : {}),
    });
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
