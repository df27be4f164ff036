/**
 * Downloads the file-transfer addon the console built, for an agent that cannot compile it: over
 * the console's TLS, verified as every other call is (the configured CA or the system's), checked
 * against the SHA-256 the console publishes with it, and written atomically (mode 0644) so a
 * half-written or tampered file never sits where the loader would pick it up.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { agentApiErrorSchema } from "../../../protocol/v1/register";
import { NATIVE_FS_ADDON_PATH, NATIVE_FS_KEY_HEADER, NATIVE_FS_MAX_BYTES, NATIVE_FS_SHA256_HEADER } from "../../../protocol/v1/native-fs-addon";
import type { NativeFsTarget } from "./native-fs-build";

/** Where the console is and how to trust it: the agent's config has both. */
export type NativeFsConsole = { consoleUrl: URL; caFile?: string | null };

type Download = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

const DEFAULT_TIMEOUT_MS = 30_000;

function download(url: URL, ca: Buffer | undefined, timeoutMs: number): Promise<Download> {
  const isHttps = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (isHttps ? https : http).get(
      url,
      { ...(isHttps ? { ca, rejectUnauthorized: true, minVersion: "TLSv1.2" as const } : {}), agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > NATIVE_FS_MAX_BYTES) res.destroy(new Error(`the answer is larger than ${NATIVE_FS_MAX_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.on("error", reject);
  });
}

function consoleMessage(body: Buffer): string | null {
  try {
    const parsed = agentApiErrorSchema.safeParse(JSON.parse(body.toString("utf8")));
    return parsed.success ? parsed.data.error.message : null;
  } catch {
    return null;
  }
}

/** Fetches the build named by `key` into `destination`; throws, leaving nothing there, if anything is off. */
export async function fetchNativeFs(options: {
  console: NativeFsConsole;
  target: NativeFsTarget;
  key: string;
  destination: string;
  timeoutMs?: number;
}): Promise<{ sha256: string; sizeBytes: number }> {
  const { console: source, target, key, destination } = options;
  const ca = source.caFile ? fs.readFileSync(source.caFile) : undefined;
  const url = new URL(NATIVE_FS_ADDON_PATH, source.consoleUrl);
  url.search = new URLSearchParams({ platform: target.platform, arch: target.arch, napi: String(target.napi), key }).toString();
  let answer: Download;
  try {
    answer = await download(url, ca, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  } catch (error) {
    throw new Error(`the console at ${source.consoleUrl.origin} could not be asked for it: ${(error as Error).message}`);
  }
  if (answer.status !== 200) {
    throw new Error(`the console has none for this server (${answer.status}): ${consoleMessage(answer.body) ?? answer.body.subarray(0, 200).toString("utf8")}`);
  }
  const published = String(answer.headers[NATIVE_FS_SHA256_HEADER] ?? "");
  if (!/^[0-9a-f]{64}$/.test(published)) throw new Error(`the console's answer carries no SHA-256 (${NATIVE_FS_SHA256_HEADER}): a proxy in between, or not a Ferry console?`);
  if (answer.headers[NATIVE_FS_KEY_HEADER] !== key) throw new Error(`the console answered with another build (${String(answer.headers[NATIVE_FS_KEY_HEADER])}, asked for ${key})`);
  const actual = crypto.createHash("sha256").update(answer.body).digest("hex");
  if (actual !== published) throw new Error(`the file downloaded from the console does not match its SHA-256 (${actual}, published ${published}): refused`);

  fs.mkdirSync(path.dirname(destination), { recursive: true });
  const temporary = `${destination}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`;
  try {
    fs.writeFileSync(temporary, answer.body, { mode: 0o644, flag: "wx" });
    fs.chmodSync(temporary, 0o644); // the umask may have taken bits off
    fs.renameSync(temporary, destination);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  return { sha256: actual, sizeBytes: answer.body.length };
}
