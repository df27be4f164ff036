import type { AgentConfig } from "../config/config";
import type { Logger } from "../logging/logger";
import { prepareNativeFs } from "../transfer/files/native/prepare-native-fs";

/**
 * A start-up step of the long-running agents (`source`, `target`): get the file-transfer addon
 * ready, from the console if this server cannot compile it. Never fatal: block-level migration
 * does not need the addon, so a server without it still runs and the log says what is missing.
 */
export async function prepareFileTransfer(config: AgentConfig, logger: Logger): Promise<void> {
  try {
    const outcome = await prepareNativeFs({ consoleUrl: config.consoleUrl, caFile: config.caFile });
    if (outcome.origin === "console") {
      logger.info("fetched the file-transfer addon from the console: this server could not compile it", { file: outcome.file, sha256: outcome.sha256 });
    }
  } catch (error) {
    logger.warn(`file-level migration cannot run on this server: ${(error as Error).message}`);
  }
}
