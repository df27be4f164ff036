import { registerSourceResponseSchema, type TargetCapabilities } from "../protocol/v1/register";
import type { SourceReport } from "../protocol/v1/report";
import type { Logger } from "../logging/logger";
import { AgentLoop, API, type AgentOutcome } from "./agent-loop";
import type { BackoffOptions } from "./backoff";
import type { ConsoleApi } from "./console-client";
import { describeTarget, type TargetOfferOptions } from "./target-offer";
import { TargetTasks } from "./target-tasks";

export type TargetAgentOptions = {
  console: ConsoleApi;
  consoleUrl: string;
  stateDir: string;
  logger: Logger;
  discover: () => Promise<SourceReport>;
  /** What the target offers: disks, a file root, the address sources dial, ports. */
  offer: TargetOfferOptions;
  signal?: AbortSignal;
  pollWaitSeconds?: number;
  backoff?: BackoffOptions;
  receiverTimeoutMs?: number;
  onReceiptPersisted?: (commandId: string) => void;
};

/**
 * A running target agent: the shared agent loop, registered as a target server with what it
 * offers, taking task_receive (start a receiver for a pass), task_abort and task_launch. The data
 * itself comes straight from the source agent over TLS with certificates the console issues per
 * pass; the console only brokers the address and the target's certificate.
 */
export async function runTargetAgent(options: TargetAgentOptions): Promise<AgentOutcome> {
  let capabilities: TargetCapabilities | null = null;
  const tasks = new TargetTasks({
    stateDir: options.stateDir,
    logger: options.logger,
    capabilities: () => {
      if (!capabilities) throw new Error("the target is not registered yet");
      return capabilities;
    },
    portRange: options.offer.portRange,
    launchCommand: options.offer.launchCommand,
    receiverTimeoutMs: options.receiverTimeoutMs,
  });
  const loop = new AgentLoop({
    role: "target",
    console: options.console,
    consoleUrl: options.consoleUrl,
    stateDir: options.stateDir,
    logger: options.logger,
    signal: options.signal,
    pollWaitSeconds: options.pollWaitSeconds,
    backoff: options.backoff,
    onReceiptPersisted: options.onReceiptPersisted,
    register: async ({ agentId, signal }) => {
      const target = await describeTarget(options.offer);
      const report = await options.discover();
      const response = await options.console.call(API.registerTarget, { agentId, report, target }, registerSourceResponseSchema, { signal });
      capabilities = target;
      options.logger.info("target offer", { receiveHost: target.receiveHost, disks: target.disks.map((d) => `${d.path} (${d.sizeBytes} bytes)`), fileRoot: target.fileRoot });
      return { response, hostname: report.hostname };
    },
    handlers: {
      task_receive: (record, context) => tasks.receive(record, context),
      task_abort: (record) => tasks.abort(record),
      task_launch: (record) => tasks.launch(record),
      task_cleanup: (record) => tasks.cleanup(record),
    },
  });
  try {
    return await loop.run();
  } finally {
    await tasks.closeAll();
  }
}
