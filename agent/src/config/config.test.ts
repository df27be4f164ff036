import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { initCommand } from "../commands/init";
import { statusCommand } from "../commands/status";
import { writeAgentState } from "../control/agent-state";
import { configPath, readConfigFile, resolveConfig, validateConfig } from "./config";
import { defaultStateDir, resolveStateDir } from "./state-dir";

const SK = "SKfile0123456789secret";
const dirs: string[] = [];
function stateDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-config-"));
  dirs.push(dir);
  return path.join(dir, "state");
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("agent configuration", () => {
  it("init writes the config with mode 0600 whatever the umask, and never prints the SK", async () => {
    const dir = stateDir();
    const output: string[] = [];
    const previous = process.umask(0o000);
    try {
      await initCommand({ stateDir: dir, consoleUrl: "https://console.example.com/ferry", accessKeyId: "AK1", env: { FERRY_SK: SK }, write: (t) => output.push(t) });
    } finally {
      process.umask(previous);
    }
    expect((fs.statSync(configPath(dir)).mode & 0o777).toString(8)).toBe("600");
    expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe("700");
    expect(readConfigFile(dir)).toMatchObject({ consoleUrl: "https://console.example.com/ferry/", accessKeyId: "AK1", secretAccessKey: SK });
    expect(output.join("")).toContain("AK1");
    expect(output.join("")).not.toContain(SK);
  });

  it("takes each setting from flags over environment over the file", async () => {
    const dir = stateDir();
    await initCommand({ stateDir: dir, consoleUrl: "https://file.example.com", accessKeyId: "AKFILE", secretAccessKey: SK, write: () => {} });
    expect(resolveConfig({ stateDir: dir, env: {} })).toMatchObject({ accessKeyId: "AKFILE", secretAccessKey: SK });
    const fromEnv = resolveConfig({ stateDir: dir, env: { FERRY_AK: "AKENV", FERRY_CONSOLE_URL: "https://env.example.com" } });
    expect(fromEnv).toMatchObject({ accessKeyId: "AKENV", secretAccessKey: SK });
    expect(fromEnv.consoleUrl.host).toBe("env.example.com");
    const fromFlags = resolveConfig({ stateDir: dir, env: { FERRY_AK: "AKENV", FERRY_SK: "SKENV" }, flags: { accessKeyId: "AKFLAG" } });
    expect(fromFlags).toMatchObject({ accessKeyId: "AKFLAG", secretAccessKey: "SKENV" });
    // Without a file, environment alone is enough.
    expect(resolveConfig({ stateDir: stateDir(), env: { FERRY_CONSOLE_URL: "https://c.example", FERRY_AK: "A", FERRY_SK: "S" } }).accessKeyId).toBe("A");
    expect(() => resolveConfig({ stateDir: stateDir(), env: {} })).toThrow(/run ferry-agent init first/);
  });

  it("refuses a config file others can read, and plain HTTP to another machine unless allowed", async () => {
    const dir = stateDir();
    await initCommand({ stateDir: dir, consoleUrl: "https://c.example", accessKeyId: "AK", secretAccessKey: SK, write: () => {} });
    fs.chmodSync(configPath(dir), 0o644);
    expect(() => resolveConfig({ stateDir: dir, env: {} })).toThrow(/chmod 600/);

    const base = { accessKeyId: "AK", secretAccessKey: SK };
    expect(() => validateConfig({ ...base, consoleUrl: "http://console.lan:3000" })).toThrow(/--allow-http/);
    expect(validateConfig({ ...base, consoleUrl: "http://console.lan:3000", allowHttp: true }).consoleUrl.protocol).toBe("http:");
    expect(validateConfig({ ...base, consoleUrl: "http://localhost:3000" }).consoleUrl.toString()).toBe("http://localhost:3000/");
    expect(() => validateConfig({ ...base, consoleUrl: "ftp://x" })).toThrow(/https/);
    for (const bad of [{ ...base, consoleUrl: "not a url" }, { ...base, consoleUrl: "https://u:p@c.example" }, { consoleUrl: "https://c.example", accessKeyId: "A K", secretAccessKey: SK }]) {
      let message = "";
      try {
        validateConfig(bad);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).not.toBe("");
      expect(message).not.toContain(SK);
    }
  });

  it("puts state under /var/lib for root and the home folder otherwise, unless told", () => {
    expect(defaultStateDir({ uid: 0 })).toBe("/var/lib/ferry-agent");
    expect(defaultStateDir({ uid: 1000, home: "/home/ada" })).toBe("/home/ada/.ferry-agent");
    expect(resolveStateDir(undefined, { FERRY_AGENT_STATE_DIR: "/srv/agent" })).toBe("/srv/agent");
    expect(resolveStateDir("/opt/a", { FERRY_AGENT_STATE_DIR: "/srv/agent" })).toBe("/opt/a");
  });

  it("status shows console, key id, server and last heartbeat, but not the SK", async () => {
    const dir = stateDir();
    await initCommand({ stateDir: dir, consoleUrl: "https://c.example", accessKeyId: "AKSTATUS", secretAccessKey: SK, write: () => {} });
    writeAgentState(dir, {
      consoleUrl: "https://c.example/",
      serverId: "3f2a0000-0000-4000-8000-000000000000",
      hostname: "src-01",
      registeredAt: "2025-01-01T00:00:00.000Z",
      lastHeartbeatAt: "2025-01-01T00:00:30.000Z",
      heartbeatIntervalSeconds: 15,
      lastError: null,
    });
    const out: string[] = [];
    await expect(statusCommand({ stateDir: dir, write: (t) => out.push(t) })).resolves.toBe(0);
    const text = out.join("");
    expect(text).toContain("https://c.example/");
    expect(text).toContain("AKSTATUS");
    expect(text).toContain("3f2a0000-0000-4000-8000-000000000000 (src-01)");
    expect(text).toContain("2025-01-01T00:00:30.000Z");
    expect(text).not.toContain(SK);
    const jsonOut: string[] = [];
    await statusCommand({ stateDir: dir, json: true, write: (t) => jsonOut.push(t) });
    expect(JSON.parse(jsonOut.join(""))).toMatchObject({ accessKeyId: "AKSTATUS", runningPid: null });
    expect(jsonOut.join("")).not.toContain(SK);
    await expect(statusCommand({ stateDir: stateDir(), write: () => {} })).resolves.toBe(1);
  });
});
