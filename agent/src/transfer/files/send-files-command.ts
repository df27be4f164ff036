import os from "node:os";
import path from "node:path";
import { UserError } from "../../errors";
import type { SendCommandOptions } from "../../commands/send";
import { parseHostPort } from "../host-port";
import { formatBytes, parseRate } from "../parse-rate";
import { formatProgress } from "../progress-line";
import { TransferError, type SendProgress } from "../sender";
import { formatReport } from "./file-frames";
import { sendFiles, type FileSendResult } from "./file-sender";

/** `send --files DIR`: the file-level path of the send command. */
export async function runSendFiles(options: SendCommandOptions, io = { stdout: process.stdout, stderr: process.stderr }): Promise<FileSendResult> {
  const target = parseHostPort(options.to, "127.0.0.1");
  if (!target) throw new UserError(`--to must be HOST:PORT, got "${options.to}"`, 2);
  let limitBytesPerSecond: number | undefined;
  if (options.limit !== undefined) {
    const rate = parseRate(options.limit);
    if (rate === null) throw new UserError(`--limit must be a rate such as 50M or 400Mbit, got "${options.limit}"`, 2);
    limitBytesPerSecond = rate;
  }
  const mode = options.progress ?? (io.stderr.isTTY ? "tty" : "none");
  const onProgress = (p: SendProgress) => {
    if (mode === "tty") io.stderr.write(`\r\x1b[K${formatProgress(p)}${p.isFinal ? "\n" : ""}`);
    else if (mode === "lines") io.stderr.write(`progress ${p.name} done=${p.doneBytes} total=${p.totalBytes} sent=${p.sentBytes}\n`);
  };
  let result: FileSendResult;
  try {
    result = await sendFiles({
      host: target.host,
      port: target.port,
      credentials: { kind: "token", token: options.token },
      root: options.files!,
      excludes: options.excludes ?? [],
      isSync: options.isSync,
      limitBytesPerSecond,
      compress: options.compress,
      stateDir: options.stateDir ?? path.join(os.homedir(), ".ferry-agent", "sync"),
      onProgress,
      log: (l) => io.stderr.write(`${l}\n`),
    });
  } catch (error) {
    if (error instanceof TransferError) throw new UserError(error.message, 1);
    throw error;
  }
  const s = result.stats;
  io.stdout.write(`${formatReport(result.report)}\n`);
  io.stdout.write(
    `files: ${s.entries} entries (${s.files} files, ${s.dirs} folders, ${s.symlinks} symlinks, ${s.hardlinks} hard links, ${s.specials} special), ${formatBytes(s.bytes)}; ` +
      `${s.put} sent, ${s.meta} metadata only, ${s.keep} unchanged${s.copied ? `, ${s.copied} copied on the target` : ""}; ` +
      `content ${result.contentBytes} bytes, sent ${result.wireBytes} bytes on the wire in ${(result.elapsedMs / 1000).toFixed(2)} s\n`,
  );
  return result;
}
