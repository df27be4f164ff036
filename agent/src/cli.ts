import { isMainThread, workerData } from "node:worker_threads";
import { isUserError } from "./errors";
import { derivePskAsync } from "./transfer/tls-credentials";

type Command = { summary: string; run: (argv: string[]) => Promise<number> };

// Each command lives in its own file under commands/ and is loaded only when used.
const COMMANDS: Record<string, Command> = {
  init: {
    summary: "save the console URL and access key (AK/SK) for this agent (mode 0600)",
    run: async (argv) => (await import("./commands/init")).runInitCli(argv),
  },
  source: {
    summary: "run as a source agent: register, heartbeat, take commands from the console",
    run: async (argv) => (await import("./commands/source")).runSourceCli(argv),
  },
  target: {
    summary: "run as a target agent: register the disks and folder it offers, receive migrations",
    run: async (argv) => (await import("./commands/target")).runTargetCli(argv),
  },
  status: {
    summary: "print what the agent knows (console, access key id, server, last heartbeat)",
    run: async (argv) => (await import("./commands/status")).runStatusCli(argv),
  },
  discover: {
    summary: "print what this server would report, as JSON, without contacting anyone",
    run: async (argv) => (await import("./commands/discover")).runDiscoverCli(argv),
  },
  send: {
    summary: "send block devices, image files or a directory to a receiver (direct mode)",
    run: async (argv) => (await import("./commands/send")).runSendCli(argv),
  },
  receive: {
    summary: "receive disks or files from a sender (direct mode)",
    run: async (argv) => (await import("./commands/receive")).runReceiveCli(argv),
  },
  "configure-target": {
    summary: "rewrite UUIDs, devices and pinned MAC addresses in a migrated system for its new machine",
    run: async (argv) => (await import("./commands/configure-target")).runConfigureTargetCli(argv),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `ferry-agent <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun ferry-agent <command> --help for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return 0;
  }
  // Hide the arguments from `ps` (and /proc/<pid>/cmdline) in case a secret was passed as one.
  process.title = `ferry-agent ${name}`;
  const command = COMMANDS[name];
  // A direct-mode sender's key derivation (scrypt, about a sixth of a second) runs on the thread
  // pool while the command loads and starts walking; a wrong token still fails at the handshake.
  if (name === "send") {
    const at = rest.indexOf("--token");
    const token = at >= 0 ? rest[at + 1] : rest.find((a) => a.startsWith("--token="))?.slice("--token=".length);
    if (token) derivePskAsync(token).catch(() => undefined);
  }
  if (!command) {
    process.stderr.write(`ferry-agent: unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (isUserError(error)) {
      process.stderr.write(`ferry-agent ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `ferry-agent ${name}: unexpected error (a bug; please report it with this output):\n${
        error instanceof Error ? error.stack : String(error)
      }\n`,
    );
    return 70;
  }
}

// A bundled agent also runs as its own worker threads (file transfer's walker and writer).
if (!isMainThread && (workerData as Record<string, unknown> | null)?.ferryWorker) await (await import("./transfer/files/worker-entry")).runWorkerRole();
else process.exitCode = await main(process.argv.slice(2));
