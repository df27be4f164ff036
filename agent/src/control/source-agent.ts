import { UserError, isUserError } from "../errors";
import path from "node:path";
import { z } from "zod";
import {
  heartbeatResponseSchema,
  MAX_LOG_UPLOAD_BYTES,
  pollCommandsResponseSchema,
  uploadLogResponseSchema,
  type CommandResult,
  type DeliveredCommand,
} from "../protocol/v1/control";
import { registerSourceResponseSchema, type RegisterSourceResponse } from "../protocol/v1/register";
import type { SourceReport } from "../protocol/v1/report";
import type { Logger } from "../logging/logger";
import { readRecentLog } from "../logging/logger";
import { loadOrCreateAgentId, readAgentState, writeAgentState, type AgentState } from "./agent-state";
import { backoffDelayMs, sleep, type BackoffOptions } from "./backoff";
import { CommandJournal, type JournalRecord } from "./command-journal";
import type { ConsoleApi } from "./console-client";
import { ConsoleNotFoundError, isRetryable } from "./errors";

export const API = {
  register: "api/agent/v1/servers/register",
  heartbeat: "api/agent/v1/servers/heartbeat",
  poll: "api/agent/v1/commands/poll",
  ack: "api/agent/v1/commands/ack",
  result: "api/agent/v1/commands/result",
  logs: "api/agent/v1/logs",
} as const;

const okSchema = z.object({ state: z.string() });

export type SourceAgentOptions = {
  console: ConsoleApi;
  consoleUrl: string;
  stateDir: string;
  logger: Logger;
  discover: () => Promise<SourceReport>;
  /** Aborting stops the agent (SIGTERM/SIGINT). */
  signal?: AbortSignal;
  /** How long each long poll waits on the console. */
  pollWaitSeconds?: number;
  backoff?: BackoffOptions;
  /**
   * Test hook (FERRY_AGENT_TEST_EXIT_AFTER_RECEIPT): called right after a command's receipt is on
   * disk and before it is acknowledged, to simulate the agent dying there.
   */
  onReceiptPersisted?: (commandId: string) => void;
};

export type SourceAgentOutcome = { reason: "stopped" | "stop-command" };

/**
 * A running source agent: registers, then sends heartbeats on its own timer while it long-polls
 * for commands and runs them. An unreachable console is retried with back-off for ever; a refused
 * key, a deleted server or bad input ends the agent with a UserError.
 */
export async function runSourceAgent(options: SourceAgentOptions): Promise<SourceAgentOutcome> {
  const agent = new SourceAgent(options);
  return agent.run();
}

class SourceAgent {
  private readonly stop = new AbortController();
  private readonly journal: CommandJournal;
  private readonly agentId: string;
  private fatal: unknown = null;
  private stopReason: SourceAgentOutcome["reason"] = "stopped";
  private intervalSeconds = 15;
  private state: AgentState;

  constructor(private readonly options: SourceAgentOptions) {
    this.journal = new CommandJournal(options.stateDir);
    this.agentId = loadOrCreateAgentId(options.stateDir);
    const previous = readAgentState(options.stateDir);
    this.state = {
      consoleUrl: options.consoleUrl,
      serverId: previous?.consoleUrl === options.consoleUrl ? previous.serverId : null,
      hostname: previous?.hostname ?? null,
      registeredAt: previous?.registeredAt ?? null,
      lastHeartbeatAt: previous?.lastHeartbeatAt ?? null,
      heartbeatIntervalSeconds: previous?.heartbeatIntervalSeconds ?? null,
      lastError: null,
    };
    options.signal?.addEventListener("abort", () => this.stop.abort(), { once: true });
  }

  private get log() {
    return this.options.logger;
  }

  private get isStopping() {
    return this.stop.signal.aborted;
  }

  private saveState(patch: Partial<AgentState>) {
    this.state = { ...this.state, ...patch };
    writeAgentState(this.options.stateDir, this.state);
  }

  /** Ends the agent because of an error no retry will fix. */
  private fail(error: unknown) {
    if (!this.fatal) this.fatal = error;
    this.saveState({ lastError: error instanceof Error ? error.message : String(error) });
    this.stop.abort();
  }

  async run(): Promise<SourceAgentOutcome> {
    this.log.info("source agent starting", { agentId: this.agentId, console: this.options.consoleUrl, stateDir: this.options.stateDir });
    const registration = await this.retrying("register", () => this.register());
    if (!registration) return this.finish();
    const heartbeats = this.heartbeatLoop();
    try {
      this.journal.prune();
      await this.resumeJournal();
      await this.commandLoop();
    } catch (error) {
      this.fail(error);
    }
    this.stop.abort();
    await heartbeats;
    return this.finish();
  }

  private finish(): SourceAgentOutcome {
    if (this.fatal) {
      const error = this.fatal;
      this.log.error("source agent stopped", { error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    this.log.info("source agent stopped", { reason: this.stopReason });
    return { reason: this.stopReason };
  }

  /**
   * Runs fn until it succeeds, waiting with back-off while the console is unreachable. Returns null
   * when the agent stops first; any other error ends the agent.
   */
  private async retrying<T>(what: string, fn: () => Promise<T>): Promise<T | null> {
    for (let attempt = 0; !this.isStopping; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!isRetryable(error)) {
          this.fail(error);
          return null;
        }
        const wait = backoffDelayMs(attempt, this.options.backoff);
        this.log.warn(`${what} failed; retrying`, { error: error.message, retryInSeconds: Math.round(wait / 100) / 10 });
        await sleep(wait, this.stop.signal);
      }
    }
    return null;
  }

  private async register(): Promise<RegisterSourceResponse> {
    const report = await this.options.discover();
    const response = await this.options.console.call(API.register, { agentId: this.agentId, report }, registerSourceResponseSchema, {
      signal: this.stop.signal,
    });
    this.intervalSeconds = response.heartbeatIntervalSeconds;
    const now = new Date().toISOString();
    this.saveState({
      serverId: response.serverId,
      hostname: report.hostname,
      registeredAt: now,
      lastHeartbeatAt: now,
      heartbeatIntervalSeconds: response.heartbeatIntervalSeconds,
      lastError: null,
    });
    this.log.info(response.isNew ? "registered as a new source server" : "registered again as the same source server", {
      serverId: response.serverId,
      hostname: report.hostname,
      heartbeatIntervalSeconds: response.heartbeatIntervalSeconds,
    });
    return response;
  }

  private async heartbeatLoop() {
    let failures = 0;
    while (!this.isStopping) {
      await sleep(failures ? Math.min(this.intervalSeconds * 1000, backoffDelayMs(failures - 1, this.options.backoff)) : this.intervalSeconds * 1000, this.stop.signal);
      if (this.isStopping) break;
      try {
        const beat = await this.options.console.call(API.heartbeat, { agentId: this.agentId }, heartbeatResponseSchema, {
          signal: this.stop.signal,
          timeoutMs: Math.max(5000, this.intervalSeconds * 1000),
        });
        this.intervalSeconds = beat.heartbeatIntervalSeconds;
        this.saveState({ lastHeartbeatAt: new Date().toISOString(), heartbeatIntervalSeconds: beat.heartbeatIntervalSeconds, serverId: beat.serverId });
        if (failures) this.log.info("heartbeat delivered again");
        failures = 0;
        this.log.debug("heartbeat");
      } catch (error) {
        if (this.isStopping) break;
        if (error instanceof ConsoleNotFoundError) {
          this.fail(new UserError("this source server was deleted in the console; start the agent again to register it anew"));
          break;
        }
        if (!isRetryable(error)) {
          this.fail(error);
          break;
        }
        failures++;
        this.log.warn("heartbeat failed", { error: error.message });
      }
    }
  }

  private async commandLoop() {
    let failures = 0;
    const waitSeconds = this.options.pollWaitSeconds ?? 20;
    while (!this.isStopping) {
      let commands: DeliveredCommand[];
      try {
        ({ commands } = await this.options.console.call(API.poll, { agentId: this.agentId, waitSeconds }, pollCommandsResponseSchema, {
          signal: this.stop.signal,
          timeoutMs: (waitSeconds + 15) * 1000,
        }));
        failures = 0;
      } catch (error) {
        if (this.isStopping) break;
        if (error instanceof ConsoleNotFoundError) throw new UserError("this source server was deleted in the console; start the agent again to register it anew");
        if (!isRetryable(error)) throw error;
        const wait = backoffDelayMs(failures++, this.options.backoff);
        this.log.warn("polling for commands failed; retrying", { error: error.message, retryInSeconds: Math.round(wait / 100) / 10 });
        await sleep(wait, this.stop.signal);
        continue;
      }
      for (const command of commands) {
        if (this.isStopping) break;
        await this.receive(command);
      }
    }
  }

  /** After a restart: run what was received but never started, report what was never reported. */
  private async resumeJournal() {
    for (const record of this.journal.unfinished()) {
      if (this.isStopping) return;
      this.log.info("resuming a command from before the restart", { commandId: record.id, type: record.type, state: record.state });
      if (record.state === "received" && !(await this.acknowledge(record.id))) return;
      await this.complete(record);
    }
  }

  private async receive(command: DeliveredCommand) {
    let record: JournalRecord | null;
    try {
      record = this.journal.get(command.id);
    } catch {
      record = { id: command.id, type: command.type, payload: command.payload, state: "running", receivedAt: new Date().toISOString(), startedAt: null, finishedAt: null, outcome: null, result: null, isReported: false };
    }
    if (record) {
      this.log.info("command delivered again; it is not run twice", { commandId: command.id, type: command.type, state: record.state });
      // Delivered again means the console missed our answers: send the result again too.
      if (record.state === "done") record = { ...record, isReported: false };
    } else {
      record = {
        id: command.id,
        type: command.type,
        payload: command.payload,
        state: "received",
        receivedAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
        outcome: null,
        result: null,
        isReported: false,
      };
      this.journal.put(record);
      this.log.info("command received", { commandId: command.id, type: command.type, deliveredCount: command.deliveredCount });
      this.options.onReceiptPersisted?.(command.id);
    }
    if (!(await this.acknowledge(command.id))) return;
    await this.complete(record);
  }

  private async acknowledge(commandId: string): Promise<boolean> {
    const acked = await this.retrying("acknowledging a command", () =>
      this.options.console.call(API.ack, { agentId: this.agentId, commandId }, okSchema, { signal: this.stop.signal }),
    );
    return acked !== null;
  }

  /** Runs the command if it never started, then reports how it ended (again, if need be). */
  private async complete(initial: JournalRecord) {
    let record = initial;
    const isRunNow = record.state === "received";
    if (record.state === "received") {
      record = { ...record, state: "running", startedAt: new Date().toISOString() };
      this.journal.put(record);
      this.log.info("running command", { commandId: record.id, type: record.type });
      let outcome: "succeeded" | "failed";
      let result: CommandResult;
      try {
        result = await this.execute(record);
        outcome = "succeeded";
      } catch (error) {
        outcome = "failed";
        result = { message: isUserError(error) || isRetryable(error) ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}` };
      }
      record = { ...record, state: "done", finishedAt: new Date().toISOString(), outcome, result };
      this.journal.put(record);
      this.log[outcome === "succeeded" ? "info" : "warn"]("command finished", { commandId: record.id, type: record.type, outcome, message: result.message });
    } else if (record.state === "running") {
      record = {
        ...record,
        state: "done",
        finishedAt: new Date().toISOString(),
        outcome: "failed",
        result: { message: "The agent stopped while running this command; it was not run again. Queue it again if it is still needed." },
      };
      this.journal.put(record);
      this.log.warn("command was interrupted by a restart; not running it again", { commandId: record.id, type: record.type });
    }
    if (!record.isReported) {
      const done = record;
      const reported = await this.retrying("reporting a command result", () =>
        this.options.console.call(API.result, { agentId: this.agentId, commandId: done.id, outcome: done.outcome, result: done.result }, okSchema, {
          signal: this.stop.signal,
        }),
      );
      if (reported === null) return;
      record = { ...record, isReported: true };
      this.journal.put(record);
    }
    // Only a stop run just now stops the agent: one finished before a restart was already obeyed.
    if (isRunNow && record.type === "stop" && record.outcome === "succeeded") {
      this.log.info("stopping, as the console asked");
      this.stopReason = "stop-command";
      this.stop.abort();
    }
  }

  private async execute(record: JournalRecord): Promise<CommandResult> {
    switch (record.type) {
      case "refresh": {
        const response = await this.register();
        return { message: "The report was refreshed.", details: { serverId: response.serverId } };
      }
      case "collect_logs": {
        const dir = this.log.file ? path.dirname(this.log.file) : null;
        if (!dir) throw new UserError("this agent does not write a log file");
        // Leave room for JSON escaping and the envelope within the console's upload limit.
        const { content, isTruncated } = readRecentLog(dir, Math.floor(MAX_LOG_UPLOAD_BYTES * 0.9));
        const stamp = new Date().toISOString().replace(/[:.]/g, "-");
        const fileName = `ferry-agent-${(this.state.hostname ?? "source").replace(/[^A-Za-z0-9._-]/g, "_")}-${stamp}.log`;
        const { logId } = await this.options.console.call(
          API.logs,
          { agentId: this.agentId, commandId: record.id, fileName, content, isTruncated },
          uploadLogResponseSchema,
          { signal: this.stop.signal, timeoutMs: 60_000 },
        );
        return { message: `Uploaded ${Buffer.byteLength(content)} bytes of the agent's log${isTruncated ? " (the most recent part)" : ""}.`, details: { logId } };
      }
      case "stop":
        return { message: "The agent stopped." };
      default:
        // Task commands are handled by the task runner once it is wired in; refuse them clearly until then.
        throw new UserError(`this agent does not handle "${record.type}" commands yet`);
    }
  }
}
