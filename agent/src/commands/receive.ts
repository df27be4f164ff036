import path from "node:path";
import { parseArgs } from "node:util";
import { UserError } from "../errors";
import { parseHostPort } from "../transfer/host-port";
import { parseRate } from "../transfer/parse-rate";
import { startReceiver, type RunningReceiver } from "../transfer/receiver";
import { watchLimitFile } from "../transfer/limit-file";
import { SpeedLimit } from "../transfer/speed-limit";

/** The receiver's limit file: the same format as the sender's; each change is sent to running senders. */
function watchReceiverLimitFile(file: string, base: number | null, receiver: RunningReceiver, log: (l: string) => void): void {
  const limit = new SpeedLimit(base);
  let last = limit.currentRate();
  watchLimitFile(file, limit, (line) => {
    log(line);
    const now = limit.currentRate();
    if (now !== last) receiver.setLimit((last = now));
  });
}

const USAGE = `ferry-agent receive --listen HOST:PORT --token TOKEN --out DIR [--once] [--map NAME=PATH ...]

Receives disks from "ferry-agent send" (direct mode, no console) and writes each to DIR/<name>
(a sparse file) or to the device given with --map; a "send --files" session makes DIR mirror
the sender's folder (its manifest and consistency report are kept in DIR/.ferry/files). Progress checkpoints are kept in DIR/.ferry,
so an interrupted copy resumes when the same send is run again.

  --listen HOST:PORT   address to listen on (":7070" for all interfaces)
  --token TOKEN        shared secret, the same as the sender's
  --out DIR            folder for image files and checkpoints
  --map NAME=PATH      write disk NAME to PATH (e.g. a block device) instead of DIR/NAME
  --once               exit after one session: 0 if every disk in it was verified
  --checkpoint SIZE    make received data durable and acknowledge it every SIZE (default 64M)
  --limit RATE         ask senders to send at most RATE bytes per second (e.g. 50M)
  --limit-file PATH    a file holding such a rate ("off" for none); re-read when it changes and
                       on SIGHUP, and running senders are told at once
  --grow               on a target device larger than the source, grow the partition that ends
                       last to the end of the disk once the copy is verified (the default)
  --no-grow            keep that partition's size (a GPT's backup header still moves to the end)
`;

export interface ReceiveCommandOptions {
  listen: string;
  token: string;
  outDir: string;
  maps: Record<string, string>;
  once: boolean;
  checkpointBytes?: number;
  limitBytesPerSecond?: number;
  limitFile?: string;
  /** Grow the last partition onto a larger target device (--grow, the default; --no-grow). */
  growLastPartition: boolean;
}

export function parseReceiveArgs(argv: string[]): ReceiveCommandOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        listen: { type: "string" },
        token: { type: "string" },
        out: { type: "string" },
        map: { type: "string", multiple: true },
        once: { type: "boolean", default: false },
        checkpoint: { type: "string" },
        limit: { type: "string" },
        "limit-file": { type: "string" },
        grow: { type: "boolean" },
        "no-grow": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (error) {
    throw new UserError(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  const v = parsed.values;
  if (v.help) return "help";
  if (!v.listen) throw new UserError("--listen HOST:PORT is required", 2);
  if (!v.token) throw new UserError("--token is required", 2);
  if (!v.out) throw new UserError("--out DIR is required (checkpoints live there even with --map)", 2);
  const maps: Record<string, string> = {};
  for (const m of v.map ?? []) {
    const eq = m.indexOf("=");
    if (eq <= 0 || eq === m.length - 1) throw new UserError(`--map must be NAME=PATH, got "${m}"`, 2);
    maps[m.slice(0, eq)] = m.slice(eq + 1);
  }
  let checkpointBytes: number | undefined;
  if (v.checkpoint) {
    const n = parseRate(v.checkpoint);
    if (n === null) throw new UserError(`--checkpoint must be a size such as 64M, got "${v.checkpoint}"`, 2);
    checkpointBytes = n;
  }
  let limitBytesPerSecond: number | undefined;
  if (v.limit) {
    const n = parseRate(v.limit);
    if (n === null) throw new UserError(`--limit must be a rate such as 50M, got "${v.limit}"`, 2);
    limitBytesPerSecond = n;
  }
  if (v.grow && v["no-grow"]) throw new UserError("--grow and --no-grow contradict each other", 2);
  return {
    listen: v.listen,
    token: v.token,
    outDir: path.resolve(v.out),
    maps,
    once: v.once ?? false,
    checkpointBytes,
    limitBytesPerSecond,
    limitFile: v["limit-file"],
    growLastPartition: !v["no-grow"],
  };
}

export async function startReceive(options: ReceiveCommandOptions, log: (l: string) => void): Promise<RunningReceiver> {
  const addr = parseHostPort(options.listen, "0.0.0.0");
  if (!addr) throw new UserError(`--listen must be HOST:PORT, got "${options.listen}"`, 2);
  try {
    return await startReceiver({
      host: addr.host,
      port: addr.port,
      credentials: { kind: "token", token: options.token },
      outDir: options.outDir,
      maps: options.maps,
      checkpointBytes: options.checkpointBytes,
      limitBytesPerSecond: options.limitBytesPerSecond ?? null,
      growLastPartition: options.growLastPartition,
      log,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      throw new UserError(`cannot listen on ${options.listen}: ${(error as Error).message}`, 1);
    }
    throw error;
  }
}

export async function runReceiveCli(argv: string[]): Promise<number> {
  const options = parseReceiveArgs(argv);
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const receiver = await startReceive(options, log);
  log(`listening on ${receiver.address.address}:${receiver.address.port}, writing to ${options.outDir}`);
  if (options.limitFile) watchReceiverLimitFile(options.limitFile, options.limitBytesPerSecond ?? null, receiver, log);
  if (!options.once) {
    for (;;) await receiver.nextSession();
  }
  const session = await receiver.nextSession();
  await receiver.close();
  return session.isOk && (session.disks.length > 0 || session.files !== undefined) ? 0 : 1;
}
