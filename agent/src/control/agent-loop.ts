import path from "node:path";
import { z } from "zod";
import { UserError, isUserError } from "../errors";
import {
  heartbeatResponseSchema,
  MAX_LOG_UPLOAD_BYTES,
  pollCommandsResponseSchema,
  uploadLogResponseSchema,
  type CommandResult,
  type CommandType,
  type DeliveredCommand,
} from "../protocol/v1/control";
import type { RegisterSourceResponse } from "../protocol/v1/register";
import type { Logger } from "../logging/logger";
import { readRecentLog } from "../logging/logger";
import { loadOrCreateAgentId, readAgentState, writeAgentState, type AgentRole, type AgentState } from "./agent-state";
import { backoffDelayMs, sleep, type BackoffOptions } from "./backoff";
import { CommandJournal, type JournalRecord } from "./command-journal";
import type { ConsoleApi } from "./console-client";
import { ConsoleNotFoundError, isRetryable } from "./errors";

export const API = {
  register: "api/agent/v1/servers/register",
  registerTarget: "api/agent/v1/targets/register",
  heartbeat: "api/agent/v1/servers/heartbeat",
  poll: "api/agent/v1/commands/poll",
  ack: "api/agent/v1/commands/ack",
  result: "api/agent/v1/commands/result",
  logs: "api/agent/v1/logs",
  taskProgress: "api/agent/v1/tasks/progress",
  taskCertificate: "api/agent/v1/tasks/certificate",
} as const;

const okSchema = z.object({ state: z.string() });

/** What a command handler may use: the agent's identity, its console and its stop signal. */
export type CommandContext = {
  agentId: string;
  console: ConsoleApi;
  logger: Logger;
  /** Aborted when the agent stops. */
  signal: AbortSignal;
};

export type CommandHandler = (record: JournalRecord, context: CommandContext) => Promise<CommandResult>;

export type AgentLoopOptions = {
  role: AgentRole;
  console: ConsoleApi;
  consoleUrl: string;
  stateDir: string;
  logger: Logger;
  /** Registers (again) with the console; called at start and on "refresh". */
  register: (context: { agentId: string; signal: AbortSignal }) => Promise<{ response: RegisterSourceResponse; hostname: string }>;
  /** Commands beyond refresh, collect_logs and stop; a type without a handler is refused. */
  handlers?: Partial<Record<CommandType, CommandHandler>>;
  /**
   * Commands that keep running after their ack (a copy): the agent goes on polling and sending
   * heartbeats meanwhile, and reports the result when the run ends.
   */
  isBackground?: (type: CommandType) => boolean;
  /** What to report for a command that was running when the agent died (default: a generic line). */
  interruptedMessage?: (record: JournalRecord) => string | undefined;
  /** Called once the agent is stopping, before it waits for background commands to end. */
  onStopping?: () => void;
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

export type AgentOutcome = { reason: "stopped" | "stop-command" };

const INTERRUPTED = "The agent stopped while running this command; it was not run again. Queue it again if it is still needed.";
/** How long a stopping agent waits for background commands to wind down and record how they ended. */
const BACKGROUND_STOP_WAIT_MS = 10_000;

/**
 * The part every agent shares: register, then send heartbeats on a timer while long-polling for
 * commands and running each at most once (journal in the state folder). An unreachable console is
 * retried with back-off for ever; a refused key, a deleted server or bad input ends the agent
 * with a UserError.
 */
export class AgentLoop {
  private readonly stop = new AbortController();
  private readonly journal: CommandJournal;
  readonly agentId: string;
  private fatal: unknown = null;
  private stopReason: AgentOutcome["reason"] = "stopped";
  private intervalSeconds = 15;
  private state: AgentState;
  /** Background commands running in this process, by command id. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly options: AgentLoopOptions) {
    this.journal = new CommandJournal(options.stateDir);
    const previous = readAgentState(options.stateDir);
    if (previous?.role && previous.role !== options.role) {
      throw new UserError(
        `the state folder ${options.stateDir} belongs to a ${previous.role} agent; give this ${options.role} agent a folder of its own with --state-dir`,
      );
    }
    this.agentId = loadOrCreateAgentId(options.stateDir);
    this.state = {
      role: options.role,
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

  private get deletedMessage() {
    return `this ${this.options.role} server was deleted in the console; start the agent again to register it anew`;
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

  async run(): Promise<AgentOutcome> {
    const role = this.options.role;
    this.log.info(`${role} agent starting`, { agentId: this.agentId, console: this.options.consoleUrl, stateDir: this.options.stateDir });
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
    await this.windDownBackground();
    await heartbeats;
    return this.finish();
  }

  private async windDownBackground() {
    if (this.running.size === 0) return;
    this.options.onStopping?.();
    this.log.info("waiting for running commands to stop", { count: this.running.size });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running.values()]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, BACKGROUND_STOP_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  private finish(): AgentOutcome {
    const role = this.options.role;
    if (this.fatal) {
      const error = this.fatal;
      this.log.error(`${role} agent stopped`, { error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    this.log.info(`${role} agent stopped`, { reason: this.stopReason });
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
        if (this.isStopping) return null;
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
    const { response, hostname } = await this.options.register({ agentId: this.agentId, signal: this.stop.signal });
    this.intervalSeconds = response.heartbeatIntervalSeconds;
    const now = new Date().toISOString();
    this.saveState({
      serverId: response.serverId,
      hostname,
      registeredAt: now,
      lastHeartbeatAt: now,
      heartbeatIntervalSeconds: response.heartbeatIntervalSeconds,
      lastError: null,
    });
    const role = this.options.role;
    this.log.info(response.isNew ? `registered as a new ${role} server` : `registered again as the same ${role} server`, {
      serverId: response.serverId,
      hostname,
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
          this.fail(new UserError(this.deletedMessage));
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
        if (error instanceof ConsoleNotFoundError) throw new UserError(this.deletedMessage);
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
      await this.completeInTurn(record);
    }
  }

  private async receive(command: DeliveredCommand) {
    if (this.running.has(command.id)) {
      // The console missed our ack while the command runs here: ack again, never start it twice.
      this.log.info("command delivered again while it runs; acknowledging it again", { commandId: command.id, type: command.type });
      await this.acknowledge(command.id);
      return;
    }
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
    await this.completeInTurn(record);
  }

  /** Completes a command now, or starts it in the background when it is a long one not yet run. */
  private async completeInTurn(record: JournalRecord) {
    if (record.state === "received" && this.options.isBackground?.(record.type)) {
      const run = this.complete(record)
        .catch((error: unknown) => this.log.error("background command failed unexpectedly", { commandId: record.id, error: String(error) }))
        .finally(() => this.running.delete(record.id));
      this.running.set(record.id, run);
      return;
    }
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
        result: { message: this.options.interruptedMessage?.(record) ?? INTERRUPTED },
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
        const fileName = `ferry-agent-${(this.state.hostname ?? this.options.role).replace(/[^A-Za-z0-9._-]/g, "_")}-${stamp}.log`;
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
      default: {
        const handler = this.options.handlers?.[record.type];
        if (!handler) throw new UserError(`a ${this.options.role} agent does not take "${record.type}" commands`);
        return handler(record, { agentId: this.agentId, console: this.options.console, logger: this.log, signal: this.stop.signal });
      }
    }
  }
}
