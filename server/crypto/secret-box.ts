/**
 * Sealing secrets at rest (access key SKs, which must stay recoverable to verify signatures) with
 * AES-256-GCM under a master key. Format: `v1.` + base64url(iv[12] | tag[16] | ciphertext).
 * The associated data binds a sealed value to where it belongs (e.g. "access-key:<id>"), so a value
 * copied into another row does not open. The version is bound too, so it cannot be relabelled.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = "v1";
const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretBoxError";
  }
}

function assertMasterKey(masterKey: Buffer): void {
  if (!Buffer.isBuffer(masterKey) || masterKey.length !== KEY_BYTES) {
    throw new SecretBoxError(`Master key must be ${KEY_BYTES} bytes`);
  }
}

function additionalData(associatedData: string): Buffer {
  return Buffer.from(`ferry-secret-box:${VERSION}\0${associatedData}`, "utf8");
}

export function sealSecret(masterKey: Buffer, plaintext: string, associatedData: string): string {
  assertMasterKey(masterKey);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(associatedData));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64url")}`;
}

/** Opens a sealed secret; throws SecretBoxError if it was tampered with, or key or AAD differ. */
export function openSecret(masterKey: Buffer, sealed: string, associatedData: string): string {
  assertMasterKey(masterKey);
  const prefix = `${VERSION}.`;
  if (!sealed.startsWith(prefix)) throw new SecretBoxError("Unsupported sealed secret version");
  const encoded = sealed.slice(prefix.length);
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) throw new SecretBoxError("Sealed secret is not base64url");
  const bytes = Buffer.from(encoded, "base64url");
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError("Sealed secret is truncated");
  const decipher = createDecipheriv(ALGORITHM, masterKey, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(associatedData));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SecretBoxError("Sealed secret failed authentication (tampered, or wrong key or associated data)");
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
  } catch {
    throw new SecretBoxError("Sealed secret is not UTF-8 text");
  }
}

/** Reads a 32-byte master key written as 64 hex characters or base64/base64url (e.g. from env). */
export function decodeMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)
      ? Buffer.from(trimmed.replace(/\+/g, "-").replace(/\//g, "_").replace(/=$/, ""), "base64url")
      : undefined;
  if (!key || key.length !== KEY_BYTES) {
    throw new SecretBoxError(`Master key must be ${KEY_BYTES} bytes, written as 64 hex characters or base64`);
  }
  return key;
}
