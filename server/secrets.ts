import "server-only";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { getDataDir, getEnv } from "./env";

export type Secrets = { sessionSecret: string; masterKey: Buffer };

type StoredSecrets = { sessionSecret: string; masterKey: string };

let cached: Secrets | undefined;

/**
 * Secrets come from the environment or, if absent, from `<data dir>/secrets.json`, generated
 * on first run with mode 0600. Created with O_EXCL so two instances starting together agree.
 */
export function getSecrets(): Secrets {
  if (cached) return cached;
  const env = getEnv();
  const needsFile = !env.NEXTAUTH_SECRET || !env.FERRY_MASTER_KEY;
  const stored = needsFile ? readOrCreateSecretsFile(path.join(getDataDir(), "secrets.json")) : undefined;
  cached = {
    sessionSecret: env.NEXTAUTH_SECRET ?? stored!.sessionSecret,
    masterKey: parseMasterKey(env.FERRY_MASTER_KEY ?? stored!.masterKey),
  };
  return cached;
}

export function parseMasterKey(value: string): Buffer {
  const trimmed = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (key.length !== 32) {
    throw new Error("FERRY_MASTER_KEY must be 32 bytes, as 64 hex characters or base64");
  }
  return key;
}

export function readOrCreateSecretsFile(file: string): StoredSecrets {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fresh: StoredSecrets = {
    sessionSecret: randomBytes(32).toString("base64url"),
    masterKey: randomBytes(32).toString("base64"),
  };
  try {
    fs.writeFileSync(file, JSON.stringify(fresh, null, 2) + "\n", { flag: "wx", mode: 0o600 });
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new Error(`${file} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  }
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<StoredSecrets>;
  if (typeof parsed.sessionSecret !== "string" || typeof parsed.masterKey !== "string") {
    throw new Error(`${file} is damaged: it must hold sessionSecret and masterKey`);
  }
  return { sessionSecret: parsed.sessionSecret, masterKey: parsed.masterKey };
}
