/**
 * Access key pairs in Huawei's shape: AK = 20 uppercase letters/digits (public id), SK = 40 base62
 * characters (secret). Characters come from crypto.randomBytes without rejection sampling: a random
 * integer 64 bits wider than needed is reduced modulo alphabet^length and written in that base,
 * so the bias is below 2^-64, and no loop runs a random number of times.
 */
import { randomBytes } from "node:crypto";

export const ACCESS_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
export const SECRET_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const ACCESS_KEY_LENGTH = 20;
export const SECRET_KEY_LENGTH = 40;
export const ACCESS_KEY_PATTERN = /^[A-Z0-9]{20}$/;
export const SECRET_KEY_PATTERN = /^[A-Za-z0-9]{40}$/;

const EXTRA_BITS = 64n;

export function randomString(alphabet: string, length: number, random: (size: number) => Buffer = randomBytes): string {
  const base = BigInt(alphabet.length);
  const range = base ** BigInt(length);
  const bits = BigInt(range.toString(2).length) + EXTRA_BITS;
  const bytes = random(Number((bits + 7n) / 8n));
  let value = BigInt(`0x${bytes.toString("hex") || "0"}`) % range;
  let result = "";
  for (let index = 0; index < length; index++) {
    result = (alphabet[Number(value % base)] ?? "") + result;
    value /= base;
  }
  return result;
}

export interface AccessKeyPair {
  /** Access key id, public: sent in every Authorization header. */
  ak: string;
  /** Secret access key: shown once, then stored only sealed. */
  sk: string;
}

export function generateAccessKeyPair(): AccessKeyPair {
  return {
    ak: randomString(ACCESS_KEY_ALPHABET, ACCESS_KEY_LENGTH),
    sk: randomString(SECRET_KEY_ALPHABET, SECRET_KEY_LENGTH),
  };
}
