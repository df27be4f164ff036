import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, formatLogLine, LOG_FILE_NAME, readRecentLog } from "./logger";

const dirs: string[] = [];
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-log-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("agent log", () => {
  it("writes levels at or above its level, mirrors warnings to the terminal, and never writes a secret", () => {
    const dir = tempDir();
    const mirrored: string[] = [];
    const log = createLogger({ dir, level: "info", secrets: ["S3cr3tKeyValue"], mirror: (l) => mirrored.push(l) });
    log.debug("not written");
    log.info("registered", { serverId: "abc", note: "has spaces" });
    log.warn("console said S3cr3tKeyValue back", { sk: "S3cr3tKeyValue" });
    const text = fs.readFileSync(path.join(dir, LOG_FILE_NAME), "utf8");
    expect(text).not.toContain("not written");
    expect(text).toMatch(/^\S+Z INFO  registered serverId=abc note="has spaces"\n/);
    expect(text).toContain("WARN  console said [redacted] back sk=[redacted]");
    expect(text).not.toContain("S3cr3tKeyValue");
    expect(mirrored).toHaveLength(1);
    expect(mirrored[0]).not.toContain("S3cr3tKeyValue");
    expect((fs.statSync(path.join(dir, LOG_FILE_NAME)).mode & 0o777).toString(8)).toBe("600");
  });

  it("--verbose mirrors everything", () => {
    const mirrored: string[] = [];
    const log = createLogger({ dir: null, level: "debug", mirrorLevel: "debug", mirror: (l) => mirrored.push(l) });
    log.debug("a");
    log.info("b");
    expect(mirrored.map((l) => l.trim().split(" ").pop())).toEqual(["a", "b"]);
  });

  it("rotates at the size limit, keeps a bounded number of files, and reads back the newest lines", () => {
    const dir = tempDir();
    const log = createLogger({ dir, maxBytes: 1000, keep: 3, mirrorLevel: null });
    for (let i = 0; i < 200; i++) log.info(`line ${String(i).padStart(3, "0")}`);
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(["agent.log", "agent.log.1", "agent.log.2", "agent.log.3"]);
    for (const file of files) expect(fs.statSync(path.join(dir, file)).size).toBeLessThanOrEqual(1000);

    const all = readRecentLog(dir, 1_000_000, 3);
    expect(all.isTruncated).toBe(false);
    const numbers = all.content.trim().split("\n").map((l) => Number(l.split(" ").pop()));
    expect(numbers.at(-1)).toBe(199);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1)).toBe(true);

    const tail = readRecentLog(dir, 500, 3);
    expect(tail.isTruncated).toBe(true);
    expect(Buffer.byteLength(tail.content)).toBeLessThanOrEqual(500);
    expect(tail.content).toMatch(/^\S+Z INFO /);
    expect(tail.content.trim().split("\n").at(-1)).toMatch(/line 199$/);
  });

  it("keeps a message on one line", () => {
    expect(formatLogLine(new Date(0), "error", "a\nb")).toBe("1970-01-01T00:00:00.000Z ERROR a\\nb\n");
  });
});
