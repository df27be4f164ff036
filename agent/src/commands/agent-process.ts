import path from "node:path";
import { claimPidFile, runningAgentPid } from "../control/agent-state";
import { UserError } from "../errors";
import { createLogger, type Logger } from "../logging/logger";

/**
 * What a long-running agent (`source`, `target`) sets up before its loop: one agent per state
 * folder (a pid file), a rotating log that masks the SK, and the test hook that exits right after
 * a command's receipt is recorded (FERRY_AGENT_TEST_EXIT_AFTER_RECEIPT=1).
 */
export function openAgentProcess(options: { stateDir: string; verbose?: boolean; secret: string; env: NodeJS.ProcessEnv }): {
  logger: Logger;
  release: () => void;
  onReceiptPersisted: ((commandId: string) => void) | undefined;
} {
  const other = runningAgentPid(options.stateDir);
  if (other !== null && other !== process.pid) {
    throw new UserError(`another agent (pid ${other}) already runs on ${options.stateDir}; stop it first, or use another --state-dir`);
  }
  const release = claimPidFile(options.stateDir);
  const logger = createLogger({
    dir: path.join(options.stateDir, "logs"),
    level: options.verbose ? "debug" : "info",
    mirrorLevel: options.verbose ? "debug" : "warn",
    secrets: [options.secret],
  });
  const onReceiptPersisted =
    options.env.FERRY_AGENT_TEST_EXIT_AFTER_RECEIPT === "1"
      ? (commandId: string) => {
          logger.warn("test hook: exiting right after recording a command's receipt", { commandId });
          process.exit(75);
        }
      : undefined;
  return { logger, release, onReceiptPersisted };
}
