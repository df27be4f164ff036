import path from "node:path";
import { registerSourceResponseSchema } from "../protocol/v1/register";
import type { SourceReport } from "../protocol/v1/report";
import type { Logger } from "../logging/logger";
import { AgentLoop, API, type AgentOutcome } from "./agent-loop";
import type { BackoffOptions } from "./backoff";
import type { ConsoleApi } from "./console-client";
import { RESTARTED_DURING_COPY, SourceTasks } from "./source-tasks";

export { API };

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
  /** How often a running copy posts its progress (default 1 s). */
  progressIntervalMs?: number;
  /**
   * Test hook (FERRY_AGENT_TEST_EXIT_AFTER_RECEIPT): called right after a command's receipt is on
   * disk and before it is acknowledged, to simulate the agent dying there.
   */
  onReceiptPersisted?: (commandId: string) => void;
};

export type SourceAgentOutcome = AgentOutcome;

/**
 * A running source agent: the shared agent loop (register, heartbeats, commands at most once)
 * with the source's commands: refresh, collect_logs, stop, and the task commands task_send (a copy
 * to the target's receiver, run in the background) and task_abort.
 */
export async function runSourceAgent(options: SourceAgentOptions): Promise<SourceAgentOutcome> {
  const tasks = new SourceTasks({ syncStateDir: path.join(options.stateDir, "sync"), progressIntervalMs: options.progressIntervalMs });
  const loop = new AgentLoop({
    role: "source",
    console: options.console,
    consoleUrl: options.consoleUrl,
    stateDir: options.stateDir,
    logger: options.logger,
    signal: options.signal,
    pollWaitSeconds: options.pollWaitSeconds,
    backoff: options.backoff,
    onReceiptPersisted: options.onReceiptPersisted,
    register: async ({ agentId, signal }) => {
      const report = await options.discover();
      const response = await options.console.call(API.register, { agentId, report }, registerSourceResponseSchema, { signal });
      return { response, hostname: report.hostname };
    },
    handlers: {
      task_send: (record, context) => tasks.send(record, context),
      task_abort: (record) => tasks.abort(record),
    },
    isBackground: (type) => type === "task_send",
    interruptedMessage: (record) => (record.type === "task_send" ? RESTARTED_DURING_COPY : undefined),
    onStopping: () => tasks.abortAll(),
  });
  return loop.run();
}
