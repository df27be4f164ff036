import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { UserError } from "../errors";
import { parseHostPort } from "../transfer/host-port";
import { formatBytes, parseRate } from "../transfer/parse-rate";
import { formatProgress } from "../transfer/progress-line";
import { runSendFiles } from "../transfer/files/send-files-command";
import { sendDisks, TransferError, type DiskSendResult, type SendProgress } from "../transfer/sender";
import { MAX_LIMIT_WINDOWS, SpeedLimit, parseWindowTimes, type LimitWindow } from "../transfer/speed-limit";
import { watchLimitFile } from "../transfer/limit-file";

const USAGE = `ferry-agent send --to HOST:PORT --token TOKEN --block PATH [--block PATH ...] [options]
       ferry-agent send --to HOST:PORT --token TOKEN --files DIR [--exclude GLOB ...] [options]

Sends block devices or disk image files to a "ferry-agent receive" (direct mode, no console).
Only valid data travels: partition tables and gaps, the allocated blocks of ext2/3/4 and vfat,
the header of swap, and non-zero chunks of anything else. Exits 0 only when the copy is verified.

  --to HOST:PORT      the receiver
  --token TOKEN       shared secret, the same as the receiver's (long and random)
  --block PATH        a block device or image file; repeat for several disks
  --as NAME           name of the disk on the receiver (default: the file name); repeat in --block order
  --files DIR         send the contents of DIR: the receiver's --out mirrors it (rsync -aHAX DIR/ OUT/)
  --exclude GLOB      with --files: skip matching paths ("*.log", "/var/cache", "tmp/"); repeatable
  --sync              send only chunks that changed since the last successful send to this receiver
  --limit RATE        at most RATE bytes per second, e.g. 50M (MiB/s), 400Mbit, 1G
  --limit-window HH:MM-HH:MM=RATE
                      another rate inside a daily window (up to 5; RATE "off" lifts the limit)
  --limit-file PATH   a file holding a rate ("20M", "off", or empty for the above); it is
                      re-read when it changes and on SIGHUP, so the rate can change while running
  --read-limit RATE   at most RATE bytes per second read from the source disks
  --nice N            lower this process's CPU priority (0-19) so the source keeps serving
  --every DURATION    with --sync: repeat a pass every DURATION (e.g. 60s, 5m) until SIGINT or
                      SIGTERM, which let the running pass finish and verify first
  --compress          deflate chunks that shrink (skipped where data does not compress)
  --state DIR         where chunk tables of past sends are kept (default ~/.ferry-agent/sync)
  --progress MODE     tty (default on a terminal), lines (one line every 0.1 s), or none
`;

export interface SendCommandOptions {
  to: string;
  token: string;
  blocks: string[];
  names: string[];
  /** --files DIR: a file-level send (files/send-files-command.ts) instead of disks. */
  files?: string;
  excludes?: string[];
  isSync: boolean;
  limit?: string;
  limitWindows?: string[];
  limitFile?: string;
  readLimit?: string;
  nice?: number;
  everyMs?: number;
  compress: boolean;
  stateDir?: string;
  progress?: "tty" | "lines" | "none";
}

export function parseSendArgs(argv: string[]): SendCommandOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        to: { type: "string" },
        token: { type: "string" },
        block: { type: "string", multiple: true },
        as: { type: "string", multiple: true },
        files: { type: "string" },
        exclude: { type: "string", multiple: true },
        sync: { type: "boolean", default: false },
        limit: { type: "string" },
        "limit-window": { type: "string", multiple: true },
        "limit-file": { type: "string" },
        "read-limit": { type: "string" },
        nice: { type: "string" },
        every: { type: "string" },
        compress: { type: "boolean", default: false },
        state: { type: "string" },
        progress: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (error) {
    throw new UserError(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  const v = parsed.values;
  if (v.help) return "help";
  if (!v.to) throw new UserError("--to HOST:PORT is required", 2);
  if (!v.token) throw new UserError("--token is required", 2);
  if (v.files && v.block?.length) throw new UserError("give either --files DIR or --block PATH, not both", 2);
  if (!v.files && !v.block?.length) throw new UserError("at least one --block PATH (or --files DIR) is required", 2);
  if (v.exclude?.length && !v.files) throw new UserError("--exclude goes with --files", 2);
  if ((v.as?.length ?? 0) > (v.block?.length ?? 0)) throw new UserError("more --as names than --block paths", 2);
  if (v.progress && !["tty", "lines", "none"].includes(v.progress)) throw new UserError("--progress must be tty, lines or none", 2);
  let everyMs: number | undefined;
  if (v.every !== undefined) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.every.trim());
    if (!m) throw new UserError(`--every must be a duration such as 60s or 5m, got "${v.every}"`, 2);
    everyMs = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "s"];
    if (!v.sync) throw new UserError("--every repeats --sync passes: add --sync", 2);
  }
  let nice: number | undefined;
  if (v.nice !== undefined) {
    nice = Number(v.nice);
    if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new UserError("--nice must be an integer from 0 to 19", 2);
  }
  if ((v["limit-window"]?.length ?? 0) > MAX_LIMIT_WINDOWS) throw new UserError(`at most ${MAX_LIMIT_WINDOWS} --limit-window`, 2);
  return {
    to: v.to,
    token: v.token,
    blocks: v.block ?? [],
    names: v.as ?? [],
    files: v.files,
    excludes: v.exclude ?? [],
    isSync: v.sync ?? false,
    limit: v.limit,
    limitWindows: v["limit-window"],
    limitFile: v["limit-file"],
    readLimit: v["read-limit"],
    nice,
    everyMs,
    compress: v.compress ?? false,
    stateDir: v.state,
    progress: v.progress as SendCommandOptions["progress"],
  };
}

export async function runSend(options: SendCommandOptions, io = { stdout: process.stdout, stderr: process.stderr }): Promise<DiskSendResult[]> {
  const target = parseHostPort(options.to, "127.0.0.1");
  if (!target) throw new UserError(`--to must be HOST:PORT, got "${options.to}"`, 2);
  let limitBytesPerSecond: number | undefined;
  if (options.limit !== undefined) {
    const rate = parseRate(options.limit);
    if (rate === null) throw new UserError(`--limit must be a rate such as 50M or 400Mbit, got "${options.limit}"`, 2);
    limitBytesPerSecond = rate;
  }
  const windows: LimitWindow[] = (options.limitWindows ?? []).map((text) => {
    const eq = text.lastIndexOf("=");
    const times = eq > 0 ? parseWindowTimes(text.slice(0, eq)) : null;
    const rateText = text.slice(eq + 1).trim();
    const rate = /^(off|none|unlimited)$/i.test(rateText) ? null : parseRate(rateText);
    if (!times || (rate === null && !/^(off|none|unlimited)$/i.test(rateText))) {
      throw new UserError(`--limit-window must be HH:MM-HH:MM=RATE, e.g. 08:00-18:00=10M, got "${text}"`, 2);
    }
    return { ...times, bytesPerSecond: rate };
  });
  const speedLimit = new SpeedLimit(limitBytesPerSecond ?? null, windows);
  let readLimitBytesPerSecond: number | undefined;
  if (options.readLimit !== undefined) {
    const rate = parseRate(options.readLimit);
    if (rate === null) throw new UserError(`--read-limit must be a rate such as 100M, got "${options.readLimit}"`, 2);
    readLimitBytesPerSecond = rate;
  }
  if (options.nice !== undefined) os.setPriority(options.nice);
  const disks = options.blocks.map((p, i) => ({ path: p, name: options.names[i] ?? path.basename(p) }));
  const names = new Set(disks.map((d) => d.name));
  if (names.size !== disks.length) throw new UserError("two disks would have the same name on the receiver: use --as", 2);
  for (const d of disks) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(d.name) || d.name === "." || d.name === "..") {
      throw new UserError(`disk name "${d.name}" may only hold letters, digits, ".", "_" and "-": use --as`, 2);
    }
  }
  const mode = options.progress ?? (io.stderr.isTTY ? "tty" : "none");
  const onProgress = (p: SendProgress) => {
    if (mode === "tty") io.stderr.write(`\r\x1b[K${formatProgress(p)}${p.isFinal ? "\n" : ""}`);
    else if (mode === "lines") io.stderr.write(`progress ${p.name} done=${p.doneBytes} total=${p.totalBytes} sent=${p.sentBytes}\n`);
  };
  const log = (l: string) => io.stderr.write(`${l}\n`);
  const stopWatching = options.limitFile ? watchLimitFile(options.limitFile, speedLimit, log) : () => undefined;
  const pass = async (): Promise<DiskSendResult[]> => {
    try {
      return await sendDisks({
        host: target.host,
        port: target.port,
        credentials: { kind: "token", token: options.token },
        disks,
        isSync: options.isSync,
        speedLimit,
        readLimitBytesPerSecond,
        compress: options.compress,
        stateDir: options.stateDir ?? path.join(os.homedir(), ".ferry-agent", "sync"),
        onProgress,
        log,
      });
    } catch (error) {
      if (error instanceof TransferError) throw new UserError(error.message, 1);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new UserError(`no such file or device: ${(error as NodeJS.ErrnoException).path}`, 1);
      throw error;
    }
  };
  let results: DiskSendResult[];
  try {
    if (options.everyMs === undefined) results = await pass();
    else results = await repeatPasses(pass, options.everyMs, (r) => printResults(r, io), log);
  } finally {
    stopWatching();
  }
  if (options.everyMs === undefined) printResults(results, io);
  return results;
}

/**
 * Continuous sync: a pass, then a pause, until SIGINT or SIGTERM. A signal never cuts a pass:
 * the running one finishes and verifies (a second signal exits at once, as usual).
 */
async function repeatPasses(
  pass: () => Promise<DiskSendResult[]>,
  everyMs: number,
  report: (r: DiskSendResult[]) => void,
  log: (l: string) => void,
): Promise<DiskSendResult[]> {
  let isStopping = false;
  let wake: () => void = () => undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (isStopping) process.exit(130);
    isStopping = true;
    log(`${signal}: stopping after the current pass`);
    wake();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let last: DiskSendResult[] = [];
  try {
    for (let n = 1; ; n++) {
      const started = Date.now();
      last = await pass();
      report(last);
      log(`pass ${n} verified at ${new Date().toISOString()}`);
      if (isStopping) return last;
      const waitMs = Math.max(0, everyMs - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      if (isStopping) return last;
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function printResults(results: DiskSendResult[], io: { stdout: NodeJS.WritableStream }): void {
  for (const r of results) {
    const valid = r.layout.dataBytes + r.layout.scanBytes;
    io.stdout.write(
      `${r.name}: verified ${r.verifiedChunks} of ${r.chunks} chunks; ${r.layout.table === "none" ? "no partition table" : r.layout.table.toUpperCase()}, ` +
        r.layout.regions.map((g) => `${g.content} ${formatBytes(g.validBytes)}`).join(", ") +
        `; sent ${r.rawSentBytes} bytes (${formatBytes(r.wireBytes)} on the wire) of ${formatBytes(valid)} valid in ${(r.elapsedMs / 1000).toFixed(1)} s` +
        `${r.skippedChunks ? `; ${r.skippedChunks} chunks already on the target` : ""}${r.patchedChunks ? `; ${r.patchedChunks} sent as changed windows only` : ""}` +
        `${r.resentChunks ? `; ${r.resentChunks} re-sent` : ""}; wire bytes ${r.wireBytes}\n`,
    );
  }
}

export async function runSendCli(argv: string[]): Promise<number> {
  const options = parseSendArgs(argv);
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.files !== undefined) {
    await runSendFiles(options);
    return 0;
  }
  await runSend(options);
  return 0;
}
