import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { UserError } from "../errors";
import { readFileIfExists, writeFileAtomic } from "./files";

export const CONFIG_FILE_NAME = "config.json";

/** What `ferry-agent init` saves (mode 0600: it holds the secret key). */
const configFileSchema = z.strictObject({
  consoleUrl: z.string().min(1),
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  /** PEM file of a CA to trust for the console's certificate, instead of the system's CAs. */
  caFile: z.string().min(1).nullable().default(null),
  /** Plain HTTP to a console that is not on this machine; off unless chosen. */
  allowHttp: z.boolean().default(false),
});
export type AgentConfigFile = z.infer<typeof configFileSchema>;

/** Settings given on the command line or in the environment; each overrides the config file. */
export type ConfigOverrides = {
  consoleUrl?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  caFile?: string;
  allowHttp?: boolean;
};

export type AgentConfig = {
  consoleUrl: URL;
  accessKeyId: string;
  secretAccessKey: string;
  caFile: string | null;
  allowHttp: boolean;
};

const ACCESS_KEY_PATTERN = /^[A-Za-z0-9]{1,128}$/;
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export function configPath(stateDir: string): string {
  return path.join(stateDir, CONFIG_FILE_NAME);
}

/** FERRY_CONSOLE_URL, FERRY_AK, FERRY_SK, FERRY_CA_FILE. */
export function overridesFromEnv(env: NodeJS.ProcessEnv = process.env): ConfigOverrides {
  const value = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  return { consoleUrl: value("FERRY_CONSOLE_URL"), accessKeyId: value("FERRY_AK"), secretAccessKey: value("FERRY_SK"), caFile: value("FERRY_CA_FILE") };
}

export function readConfigFile(stateDir: string): AgentConfigFile | null {
  const file = configPath(stateDir);
  const text = readFileIfExists(file);
  if (text === null) return null;
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    // Like ssh with a private key: a secret others can read is refused rather than used.
    throw new UserError(`${file} holds the secret key but others can read it (mode ${mode.toString(8)}): run chmod 600 ${file}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError(`${file} is not valid JSON: run ferry-agent init again`);
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) throw new UserError(`${file} is not a valid agent configuration: run ferry-agent init again`);
  return parsed.data;
}

/** Checks and normalizes a configuration; messages never include the secret key. */
export function validateConfig(input: Partial<AgentConfigFile>, origin = "the configuration"): AgentConfig {
  if (!input.consoleUrl) throw new UserError(`the console URL is missing from ${origin}: pass --console https://… or set FERRY_CONSOLE_URL`);
  if (!input.accessKeyId) throw new UserError(`the access key id (AK) is missing from ${origin}: pass --ak or set FERRY_AK`);
  if (!input.secretAccessKey) throw new UserError(`the secret key (SK) is missing from ${origin}: set FERRY_SK or pass --sk-stdin`);
  if (!ACCESS_KEY_PATTERN.test(input.accessKeyId)) throw new UserError("the access key id (AK) must be letters and digits only");
  let url: URL;
  try {
    url = new URL(input.consoleUrl);
  } catch {
    throw new UserError(`the console URL "${input.consoleUrl}" is not a URL: use https://console.example.com`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UserError(`the console URL must start with https:// (got ${url.protocol})`);
  if (url.username || url.password) throw new UserError("the console URL must not contain a user name or password");
  const allowHttp = input.allowHttp ?? false;
  if (url.protocol === "http:" && !allowHttp && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new UserError(
      `the console URL uses plain HTTP to ${url.hostname}: use https://, or pass --allow-http to accept that requests can be read on the network`,
    );
  }
  url.hash = "";
  url.search = "";
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  const caFile = input.caFile ? path.resolve(input.caFile) : null;
  return { consoleUrl: url, accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey, caFile, allowHttp };
}

/** The config file, then the environment, then flags: the later one wins for each setting. */
export function resolveConfig(options: { stateDir: string; flags?: ConfigOverrides; env?: NodeJS.ProcessEnv }): AgentConfig {
  const file = readConfigFile(options.stateDir);
  const merged: Partial<AgentConfigFile> = { ...(file ?? {}) };
  for (const layer of [overridesFromEnv(options.env), options.flags ?? {}]) {
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }
  const origin = file ? configPath(options.stateDir) : `flags and environment (no ${configPath(options.stateDir)}: run ferry-agent init first)`;
  return validateConfig(merged, origin);
}

export function writeConfigFile(stateDir: string, config: AgentConfig): string {
  const file = configPath(stateDir);
  const content: AgentConfigFile = {
    consoleUrl: config.consoleUrl.toString(),
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    caFile: config.caFile,
    allowHttp: config.allowHttp,
  };
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`, 0o600);
  return file;
}
