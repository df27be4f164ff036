import os from "node:os";
import path from "node:path";

export const STATE_DIR_ENV = "FERRY_AGENT_STATE_DIR";

/** Where the agent keeps its configuration, identity, command journal and logs. */
export function defaultStateDir(options: { uid?: number; home?: string } = {}): string {
  const uid = options.uid ?? (typeof process.getuid === "function" ? process.getuid() : -1);
  if (uid === 0) return "/var/lib/ferry-agent";
  return path.join(options.home ?? os.homedir(), ".ferry-agent");
}

/** --state-dir, else $FERRY_AGENT_STATE_DIR, else the default for this user. */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env[STATE_DIR_ENV];
  return path.resolve(chosen && chosen.trim() ? chosen : defaultStateDir());
}
