import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { UserError } from "../errors";
import { createLogger } from "../logging/logger";
import type { CommandType } from "../protocol/v1/control";
import type { SourceReport } from "../protocol/v1/report";
import { readAgentState } from "./agent-state";
import { sleep } from "./backoff";
import { CommandJournal } from "./command-journal";
import type { CallOptions, ConsoleApi } from "./console-client";
import { ConsoleNotFoundError, ConsoleUnreachableError } from "./errors";
import { API, runSourceAgent } from "./source-agent";

type FakeCommand = { id: string; type: CommandType; state: string; deliveredCount: number; outcome?: string; message?: string };

/** The console's command channel in memory, with the same delivery rules as the real one. */
class FakeConsole implements ConsoleApi {
  registrations: string[] = [];
  heartbeats = 0;
  uploads: { content: string; commandId: string | null }[] = [];
  commands: FakeCommand[] = [];
  /** Fail this many next calls as unreachable. */
  outage = 0;
  isDeleted = false;
  serverId = randomUUID();

  queue(type: CommandType) {
    const command: FakeCommand = { id: randomUUID(), type, state: "queued", deliveredCount: 0 };
    this.commands.push(command);
    return command;
  }

  async call<S extends z.ZodType>(path: string, body: unknown, schema: S, options: CallOptions = {}): Promise<z.infer<S>> {
    if (this.outage > 0) {
      this.outage--;
      throw new ConsoleUnreachableError("connect ECONNREFUSED");
    }
    const b = body as Record<string, unknown>;
    const find = () => this.commands.find((c) => c.id === b.commandId)!;
    const answer = (value: unknown) => schema.parse(value) as z.infer<S>;
    if (this.isDeleted && path !== API.register) throw new ConsoleNotFoundError("This agent's source server was not found.");
    switch (path) {
      case API.register:
        this.registrations.push(b.agentId as string);
        return answer({ serverId: this.serverId, isNew: this.registrations.length === 1, heartbeatIntervalSeconds: 1 });
      case API.heartbeat:
        this.heartbeats++;
        return answer({ serverId: this.serverId, heartbeatIntervalSeconds: 1 });
      case API.poll: {
        const deadline = Date.now() + 200;
        for (;;) {
          const pending = this.commands.filter((c) => c.state === "queued" || c.state === "delivered");
          if (pending.length) {
            for (const c of pending) {
              c.state = "delivered";
              c.deliveredCount++;
            }
            return answer({ commands: pending.map((c) => ({ id: c.id, type: c.type, payload: {}, deliveredCount: c.deliveredCount })) });
          }
          if (Date.now() > deadline || options.signal?.aborted) return answer({ commands: [] });
          await sleep(10, options.signal);
        }
      }
      case API.ack: {
        const c = find();
        if (c.state === "queued" || c.state === "delivered") c.state = "acked";
        return answer({ state: c.state });
      }
      case API.result: {
        const c = find();
        if (c.state !== "succeeded" && c.state !== "failed") {
          c.state = b.outcome as string;
          c.message = (b.result as { message: string }).message;
        }
        return answer({ state: c.state });
      }
      case API.logs:
        this.uploads.push({ content: b.content as string, commandId: b.commandId as string | null });
        return answer({ logId: randomUUID() });
      default:
        throw new Error(`unexpected call ${path}`);
    }
  }
}

const report = { hostname: "src-01" } as SourceReport;
const dirs: string[] = [];
function stateDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-agent-state-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function start(console: FakeConsole, dir: string, extra: Partial<Parameters<typeof runSourceAgent>[0]> = {}) {
  const controller = new AbortController();
  const logger = createLogger({ dir: path.join(dir, "logs"), mirrorLevel: null, secrets: ["the-secret-key"] });
  const running = runSourceAgent({
    console,
    consoleUrl: "https://console.test/",
    stateDir: dir,
    logger,
    discover: async () => report,
    signal: controller.signal,
    pollWaitSeconds: 1,
    backoff: { baseMs: 5, maxMs: 20 },
    ...extra,
  });
  return { controller, running };
}

async function until(predicate: () => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("source agent", () => {
  it("keeps one agent id across restarts, sends heartbeats and records them for status", async () => {
    const fake = new FakeConsole();
    const dir = stateDir();
    for (let run = 0; run < 2; run++) {
      const { controller, running } = start(fake, dir);
      await until(() => fake.registrations.length === run + 1, "registration");
      controller.abort();
      await expect(running).resolves.toEqual({ reason: "stopped" });
    }
    expect(new Set(fake.registrations).size).toBe(1);
    const { controller, running } = start(fake, dir);
    await until(() => fake.heartbeats >= 1, "a heartbeat");
    controller.abort();
    await running;
    expect(readAgentState(dir)).toMatchObject({ serverId: fake.serverId, hostname: "src-01", heartbeatIntervalSeconds: 1 });
  });

  it("runs a command once, even when it dies between recording the receipt and the ack", async () => {
    const fake = new FakeConsole();
    const dir = stateDir();
    const refresh = fake.queue("refresh");
    // First run "dies" right after the receipt is on disk: the command is neither acked nor run.
    const crash = new AbortController();
    const first = start(fake, dir, {
      signal: crash.signal,
      onReceiptPersisted: () => crash.abort(),
    });
    await first.running.catch(() => {});
    expect(fake.registrations).toHaveLength(1);
    expect(new CommandJournal(dir).get(refresh.id)).toMatchObject({ state: "received" });
    expect(refresh.state).toBe("delivered");

    const second = start(fake, dir);
    await until(() => refresh.state === "succeeded", "the command's result");
    // Registration at start, then exactly one more for the refresh; a third poll delivers nothing new.
    await sleep(300);
    second.controller.abort();
    await second.running;
    expect(fake.registrations).toHaveLength(3);
    expect(refresh).toMatchObject({ state: "succeeded", message: "The report was refreshed." });
  });

  it("on redelivery of a finished command only repeats the ack and the result", async () => {
    const fake = new FakeConsole();
    const dir = stateDir();
    const command = fake.queue("refresh");
    new CommandJournal(dir).put({
      id: command.id,
      type: "refresh",
      payload: {},
      state: "done",
      receivedAt: new Date().toISOString(),
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      outcome: "succeeded",
      result: { message: "done before" },
      isReported: true,
    });
    const { controller, running } = start(fake, dir);
    await until(() => command.state === "succeeded", "the repeated result");
    controller.abort();
    await running;
    expect(fake.registrations).toHaveLength(1);
    expect(command.message).toBe("done before");
  });

  it("does not run again a command interrupted while it ran, and says so", async () => {
    const fake = new FakeConsole();
    const dir = stateDir();
    const command = fake.queue("refresh");
    new CommandJournal(dir).put({
      id: command.id,
      type: "refresh",
      payload: {},
      state: "running",
      receivedAt: new Date().toISOString(),
      startedAt: new Date().toISOString(),
      finishedAt: null,
      outcome: null,
      result: null,
      isReported: false,
    });
    const { controller, running } = start(fake, dir);
    await until(() => command.state === "failed", "the failure report");
    controller.abort();
    await running;
    expect(fake.registrations).toHaveLength(1);
    expect(command.message).toMatch(/not run again/);
  });

  it("retries through an outage with back-off, uploads its log on collect_logs, and stops on stop", async () => {
    const fake = new FakeConsole();
    fake.outage = 3;
    const dir = stateDir();
    const logs = fake.queue("collect_logs");
    const { running } = start(fake, dir);
    await until(() => logs.state === "succeeded", "the log upload");
    expect(fake.uploads[0]!.commandId).toBe(logs.id);
    expect(fake.uploads[0]!.content).toContain("registered as a new source server");
    expect(fake.uploads[0]!.content).toContain("retrying");
    const stop = fake.queue("stop");
    await expect(running).resolves.toEqual({ reason: "stop-command" });
    expect(stop.state).toBe("succeeded");
    expect(fs.readFileSync(path.join(dir, "logs", "agent.log"), "utf8")).not.toContain("the-secret-key");
  });

  it("ends with a clear error when its server was deleted in the console or the key is refused", async () => {
    const fake = new FakeConsole();
    const dir = stateDir();
    const { running } = start(fake, dir);
    await until(() => fake.registrations.length === 1, "registration");
    fake.isDeleted = true;
    await expect(running).rejects.toThrow(/deleted in the console/);

    const refusing = new FakeConsole();
    refusing.call = async () => {
      throw new UserError("the access key was refused: check AK/SK and that the key is enabled");
    };
    await expect(start(refusing, stateDir()).running).rejects.toThrow(/access key was refused/);
  });
});
