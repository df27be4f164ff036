import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SecretBoxError, decodeMasterKey, openSecret, sealSecret } from "./secret-box";

const key = randomBytes(32);

function flipByte(sealed: string, index: number): string {
  const bytes = Buffer.from(sealed.slice(3), "base64url");
  bytes[index % bytes.length] = (bytes[index % bytes.length] ?? 0) ^ 0x01;
  return `v1.${bytes.toString("base64url")}`;
}

describe("secret box", () => {
  it("round-trips any text, including empty and non-ASCII", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), (plaintext, aad) => {
        expect(openSecret(key, sealSecret(key, plaintext, aad), aad)).toBe(plaintext);
      }),
      { numRuns: 200 },
    );
  });

  it("writes a versioned base64url value of iv, tag and ciphertext", () => {
    const sealed = sealSecret(key, "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", "access-key:1");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sealed.slice(3), "base64url").length).toBe(12 + 16 + 40);
  });

  it("uses a fresh iv each time", () => {
    expect(sealSecret(key, "same", "aad")).not.toBe(sealSecret(key, "same", "aad"));
  });

  it("refuses any changed byte", () => {
    const sealed = sealSecret(key, "secret value", "access-key:1");
    fc.assert(
      fc.property(fc.nat(), (index) => {
        expect(() => openSecret(key, flipByte(sealed, index), "access-key:1")).toThrow(SecretBoxError);
      }),
    );
  });

  it("refuses the wrong associated data or key", () => {
    const sealed = sealSecret(key, "secret value", "access-key:1");
    expect(() => openSecret(key, sealed, "access-key:2")).toThrow(SecretBoxError);
    expect(() => openSecret(randomBytes(32), sealed, "access-key:1")).toThrow(SecretBoxError);
  });

  it("refuses other versions, truncation and garbage", () => {
    const sealed = sealSecret(key, "secret value", "aad");
    expect(() => openSecret(key, sealed.replace(/^v1/, "v2"), "aad")).toThrow(/version/);
    expect(() => openSecret(key, sealed.slice(0, 20), "aad")).toThrow(SecretBoxError);
    expect(() => openSecret(key, "v1.!!!", "aad")).toThrow(SecretBoxError);
    expect(() => openSecret(key, sealed.slice(0, -2), "aad")).toThrow(SecretBoxError);
  });

  it("insists on a 32-byte key", () => {
    expect(() => sealSecret(randomBytes(16), "x", "aad")).toThrow(/32 bytes/);
    expect(() => openSecret(randomBytes(31), "v1.AAAA", "aad")).toThrow(/32 bytes/);
  });

  it("decodes master keys from hex or base64", () => {
    expect(decodeMasterKey(key.toString("hex")).equals(key)).toBe(true);
    expect(decodeMasterKey(key.toString("base64")).equals(key)).toBe(true);
    expect(decodeMasterKey(`${key.toString("base64url")}\n`).equals(key)).toBe(true);
    expect(() => decodeMasterKey("too-short")).toThrow(SecretBoxError);
    expect(() => decodeMasterKey(randomBytes(16).toString("hex"))).toThrow(SecretBoxError);
  });
});
