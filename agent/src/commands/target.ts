import { parseArgs } from "node:util";
import { resolveConfig, type ConfigOverrides } from "../config/config";
import { resolveStateDir } from "../config/state-dir";
import { openAgentProcess } from "./agent-process";
import { prepareFileTransfer } from "./prepare-file-transfer";
import { ConsoleClient, type ConsoleApi } from "../control/console-client";
import { runTargetAgent } from "../control/target-agent";
import { describeTarget, parsePortRange, type TargetOfferOptions } from "../control/target-offer";
import { discover } from "../discovery/discover";
import { UserError } from "../errors";
import type { SourceReport } from "../protocol/v1/report";

export const TARGET_USAGE = `ferry-agent target [options]

Runs the agent on a target server: registers it with the console as a target server, with the
disks it may overwrite and the folder file-level migrations land in, then takes the console's
task commands. For each pass it starts a receiver on a free port; the source agent sends to it
directly over TLS 1.3 keyed with the pass's secret (the data never goes through the console).
Run ferry-agent init first, or give FERRY_CONSOLE_URL, FERRY_AK and FERRY_SK in the environment.
Use a state folder of its own (--state-dir) if a source agent runs on the same machine.

Stops on SIGTERM or SIGINT. Logs to <state dir>/logs/agent.log (rotated, 5 × 1 MiB).

What it offers:
  --disk PATH          a block device or image file block-level tasks may overwrite (repeatable);
                       file-level tasks onto disks partition, format and mount block devices
  --disks-dir DIR      offer every *.img file in DIR as a disk
  --file-root DIR      file-level tasks write into folders below DIR
  --receive-host HOST  the name or address sources connect to (default: the first non-loopback
                       address of this machine)
  --port-range A-B     receivers listen on a port in A-B (default: any free port)
  --launch-command CMD run CMD (with /bin/sh) when a task is launched, after the target is
                       configured: a reboot, a hypervisor call… It gets FERRY_TASK_ID,
                       FERRY_MIGRATION_MODE, FERRY_TARGET_ROOT (file level into a folder) or
                       FERRY_TARGET_DISKS (block level, or file level onto disks, unmounted by then;
                       ":"-separated), FERRY_HOSTNAME, and FERRY_STATIC_ADDRESS,
                       FERRY_GATEWAY, FERRY_DNS from a server template; a non-zero exit fails the launch

Options:
  --console URL     override the console's address
  --ak AK           override the access key id
  --ca-file PEM     trust this CA certificate for the console's TLS certificate
  --allow-http      accept a plain http:// console on another machine
  --state-dir DIR   state folder (or FERRY_AGENT_STATE_DIR)
  --verbose         print every log line on the terminal, including debug lines
  -h, --help        show this help
`;

export type TargetCommandOptions = {
  stateDir: string;
  flags?: ConfigOverrides;
  offer: TargetOfferOptions;
  verbose?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Tests substitute these; by default the real console client and discovery. */
  console?: ConsoleApi;
  discover?: () => Promise<SourceReport>;
  pollWaitSeconds?: number;
  out?: (text: string) => void;
};

export async function targetCommand(options: TargetCommandOptions): Promise<number> {
  const env = options.env ?? process.env;
  const out = options.out ?? ((text: string) => process.stdout.write(text));
  const config = resolveConfig({ stateDir: options.stateDir, flags: options.flags, env });
  if (!options.offer.disks?.length && !options.offer.disksDir && !options.offer.fileRoot) {
    throw new UserError("a target offers something to write: give --disk PATH, --disks-dir DIR or --file-root DIR", 2);
  }
  // Checked before anything runs, so a typo is a clear error at start, not a failed task later.
  const offer = await describeTarget(options.offer);
  const { logger, release: releasePid, onReceiptPersisted } = openAgentProcess({ stateDir: options.stateDir, verbose: options.verbose, secret: config.secretAccessKey, env });
  out(
    `ferry-agent target: console ${config.consoleUrl.toString()}, access key ${config.accessKeyId}; sources connect to ${offer.receiveHost}; ` +
      `${offer.disks.length} disk${offer.disks.length === 1 ? "" : "s"}${offer.fileRoot ? `, files into ${offer.fileRoot}` : ""}; log ${logger.file}\n`,
  );
  try {
    await prepareFileTransfer(config, logger);
    const outcome = await runTargetAgent({
      console: options.console ?? new ConsoleClient(config),
      consoleUrl: config.consoleUrl.toString(),
      stateDir: options.stateDir,
      logger,
      discover: options.discover ?? (() => discover()),
      offer: options.offer,
      signal: options.signal,
      pollWaitSeconds: options.pollWaitSeconds,
      onReceiptPersisted,
    });
    out(outcome.reason === "stop-command" ? "ferry-agent target: stopped by the console.\n" : "ferry-agent target: stopped.\n");
    return 0;
  } finally {
    releasePid();
  }
}

export function parseTargetArgs(argv: string[]): { stateDir?: string; flags: ConfigOverrides; offer: TargetOfferOptions; verbose: boolean } | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        console: { type: "string" },
        ak: { type: "string" },
        "ca-file": { type: "string" },
        "allow-http": { type: "boolean" },
        "state-dir": { type: "string" },
        verbose: { type: "boolean" },
        disk: { type: "string", multiple: true },
        "disks-dir": { type: "string" },
        "file-root": { type: "string" },
        "receive-host": { type: "string" },
        "port-range": { type: "string" },
        "launch-command": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UserError(`${(error as Error).message}\n\n${TARGET_USAGE}`, 2);
  }
  const v = parsed.values;
  if (v.help) return "help";
  return {
    stateDir: v["state-dir"],
    flags: { consoleUrl: v.console, accessKeyId: v.ak, caFile: v["ca-file"], allowHttp: v["allow-http"] === true ? true : undefined },
    verbose: v.verbose === true,
    offer: {
      disks: v.disk ?? [],
      disksDir: v["disks-dir"],
      fileRoot: v["file-root"],
      receiveHost: v["receive-host"],
      portRange: v["port-range"] !== undefined ? parsePortRange(v["port-range"]) : undefined,
      launchCommand: v["launch-command"],
    },
  };
}

export async function runTargetCli(argv: string[]): Promise<number> {
  const args = parseTargetArgs(argv);
  if (args === "help") {
    process.stdout.write(TARGET_USAGE);
    return 0;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    return await targetCommand({ stateDir: resolveStateDir(args.stateDir), flags: args.flags, offer: args.offer, verbose: args.verbose, signal: controller.signal });
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
