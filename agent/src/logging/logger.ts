import fs from "node:fs";
import path from "node:path";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FILE_NAME = "agent.log";
export const DEFAULT_MAX_LOG_BYTES = 1024 * 1024;
export const DEFAULT_KEPT_LOG_FILES = 5;

export type Logger = {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** The log file, or null when logging only to the terminal. */
  readonly file: string | null;
};

export type LoggerOptions = {
  /** Folder of the log files; null logs nowhere but the terminal. */
  dir: string | null;
  /** Lowest level written to the file. */
  level?: LogLevel;
  /** Lowest level mirrored to the terminal (stderr); null mirrors nothing. */
  mirrorLevel?: LogLevel | null;
  /** Rotate when the file would grow past this size. */
  maxBytes?: number;
  /** agent.log plus this many rotated ones (agent.log.1 is the newest). */
  keep?: number;
  /** Values never written anywhere (the secret key); replaced by "[redacted]". */
  secrets?: string[];
  mirror?: (line: string) => void;
  now?: () => Date;
};

const rank = (level: LogLevel) => LOG_LEVELS.indexOf(level);

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? "undefined";
}

/** One line per event: `<ISO time> <LEVEL> <message> key=value ...`. */
export function formatLogLine(time: Date, level: LogLevel, message: string, fields?: Record<string, unknown>): string {
  const extra = Object.entries(fields ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}=${formatValue(value)}`)
    .join("");
  return `${time.toISOString()} ${level.toUpperCase().padEnd(5)} ${message.replace(/\r?\n/g, "\\n")}${extra}\n`;
}

/** Rotates agent.log → agent.log.1 → … → agent.log.<keep>, dropping the oldest. */
function rotate(dir: string, keep: number) {
  const file = path.join(dir, LOG_FILE_NAME);
  fs.rmSync(`${file}.${keep}`, { force: true });
  for (let i = keep - 1; i >= 1; i--) {
    if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
  }
  if (fs.existsSync(file)) fs.renameSync(file, `${file}.1`);
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? "info";
  const mirrorLevel = options.mirrorLevel === undefined ? "warn" : options.mirrorLevel;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_LOG_BYTES;
  const keep = options.keep ?? DEFAULT_KEPT_LOG_FILES;
  const secrets = (options.secrets ?? []).filter((s) => s.length > 0);
  const mirror = options.mirror ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const file = options.dir ? path.join(options.dir, LOG_FILE_NAME) : null;
  let size = -1;
  if (options.dir) fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });

  const redact = (text: string) => secrets.reduce((out, secret) => out.split(secret).join("[redacted]"), text);

  function write(eventLevel: LogLevel, message: string, fields?: Record<string, unknown>) {
    const line = redact(formatLogLine(now(), eventLevel, message, fields));
    if (mirrorLevel && rank(eventLevel) >= rank(mirrorLevel)) mirror(line);
    if (!file || !options.dir || rank(eventLevel) < rank(level)) return;
    try {
      if (size < 0) size = fs.existsSync(file) ? fs.statSync(file).size : 0;
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) {
        rotate(options.dir, keep);
        size = 0;
      }
      fs.appendFileSync(file, line, { mode: 0o600 });
      size += bytes;
    } catch (error) {
      // A full or read-only disk must not stop the agent; say so on the terminal once per event.
      mirror(`log file ${file} could not be written: ${(error as Error).message}\n`);
    }
  }

  return {
    file,
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}

/**
 * The most recent part of the log, across rotated files, at most maxBytes and starting at a line:
 * what `collect_logs` uploads.
 */
export function readRecentLog(dir: string, maxBytes: number, keep = DEFAULT_KEPT_LOG_FILES): { content: string; isTruncated: boolean } {
  const base = path.join(dir, LOG_FILE_NAME);
  const files = [...Array.from({ length: keep }, (_, i) => `${base}.${keep - i}`), base].filter((f) => fs.existsSync(f));
  const chunks: Buffer[] = [];
  let total = 0;
  let isTruncated = false;
  for (const file of files.reverse()) {
    const data = fs.readFileSync(file);
    if (total + data.length > maxBytes) {
      const tail = data.subarray(data.length - (maxBytes - total));
      const firstNewline = tail.indexOf(0x0a);
      chunks.unshift(firstNewline >= 0 ? tail.subarray(firstNewline + 1) : Buffer.alloc(0));
      isTruncated = true;
      break;
    }
    chunks.unshift(data);
    total += data.length;
  }
  return { content: Buffer.concat(chunks).toString("utf8"), isTruncated };
}
