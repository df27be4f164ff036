import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseMasterKey, readOrCreateSecretsFile } from "./secrets";

describe("secrets file", () => {
  it("is generated once with mode 0600 and reused on the next start", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-secrets-"));
    const file = path.join(dir, "nested", "secrets.json");
    const first = readOrCreateSecretsFile(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(parseMasterKey(first.masterKey)).toHaveLength(32);
    expect(first.sessionSecret.length).toBeGreaterThanOrEqual(32);
    expect(readOrCreateSecretsFile(file)).toEqual(first);
  });

  it("refuses a secrets file others can read", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-secrets-"));
    const file = path.join(dir, "secrets.json");
    readOrCreateSecretsFile(file);
    fs.chmodSync(file, 0o644);
    expect(() => readOrCreateSecretsFile(file)).toThrow(/chmod 600/);
  });

  it("accepts a master key as hex or base64 and refuses the wrong length", () => {
    expect(parseMasterKey("ab".repeat(32))).toEqual(Buffer.alloc(32, 0xab));
    expect(parseMasterKey(Buffer.alloc(32, 7).toString("base64"))).toEqual(Buffer.alloc(32, 7));
    expect(() => parseMasterKey("tooshort")).toThrow(/32 bytes/);
  });
});
