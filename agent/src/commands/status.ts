import fs from "node:fs";
import path from "node:path";
import { configPath, readConfigFile } from "../config/config";
import { parseFlags, str } from "../config/flags";
import { resolveStateDir } from "../config/state-dir";
import { readAgentId, readAgentState, runningAgentPid } from "../control/agent-state";
import { LOG_FILE_NAME } from "../logging/logger";

export const STATUS_USAGE = `ferry-agent status [--state-dir DIR] [--json]

Prints what the agent knows, without contacting the console: its configuration (never the
secret key), its identity, the source server it registered as and its last heartbeat.

Options:
  --state-dir DIR   state folder (or FERRY_AGENT_STATE_DIR)
  --json            print JSON
  -h, --help        show this help
`;

export type AgentStatus = {
  stateDir: string;
  configFile: string | null;
  consoleUrl: string | null;
  accessKeyId: string | null;
  caFile: string | null;
  agentId: string | null;
  serverId: string | null;
  hostname: string | null;
  registeredAt: string | null;
  lastHeartbeatAt: string | null;
  heartbeatIntervalSeconds: number | null;
  runningPid: number | null;
  lastError: string | null;
  logFile: string | null;
  problem: string | null;
};

export function readAgentStatus(stateDir: string): AgentStatus {
  let problem: string | null = null;
  let config = null;
  try {
    config = readConfigFile(stateDir);
    if (!config) problem = `no configuration: run ferry-agent init${stateDir === resolveStateDir(undefined) ? "" : ` --state-dir ${stateDir}`}`;
  } catch (error) {
    problem = (error as Error).message;
  }
  const state = readAgentState(stateDir);
  const logFile = path.join(stateDir, "logs", LOG_FILE_NAME);
  return {
    stateDir,
    configFile: config ? configPath(stateDir) : null,
    consoleUrl: config?.consoleUrl ?? null,
    accessKeyId: config?.accessKeyId ?? null,
    caFile: config?.caFile ?? null,
    agentId: readAgentId(stateDir),
    serverId: state?.serverId ?? null,
    hostname: state?.hostname ?? null,
    registeredAt: state?.registeredAt ?? null,
    lastHeartbeatAt: state?.lastHeartbeatAt ?? null,
    heartbeatIntervalSeconds: state?.heartbeatIntervalSeconds ?? null,
    runningPid: runningAgentPid(stateDir),
    lastError: state?.lastError ?? null,
    logFile: fs.existsSync(logFile) ? logFile : null,
    problem,
  };
}

export function formatAgentStatus(status: AgentStatus, now = new Date()): string {
  const ago = (iso: string | null) => {
    if (!iso) return "never";
    const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
    return `${iso} (${seconds} s ago)`;
  };
  const rows: [string, string][] = [
    ["state folder", status.stateDir],
    ["configuration", status.configFile ?? "none"],
    ["console", status.consoleUrl ?? "not set"],
    ["access key (AK)", status.accessKeyId ?? "not set"],
    ["secret key (SK)", status.configFile ? "saved (not shown)" : "not set"],
    ...(status.caFile ? ([["trusted CA", status.caFile]] as [string, string][]) : []),
    ["agent id", status.agentId ?? "not made yet (first start)"],
    ["source server", status.serverId ? `${status.serverId}${status.hostname ? ` (${status.hostname})` : ""}` : "not registered yet"],
    ["registered", ago(status.registeredAt)],
    ["last heartbeat", ago(status.lastHeartbeatAt)],
    ["agent process", status.runningPid ? `running (pid ${status.runningPid})` : "not running"],
    ["log file", status.logFile ?? "none yet"],
  ];
  if (status.lastError) rows.push(["last error", status.lastError]);
  if (status.problem) rows.push(["problem", status.problem]);
  return `${rows.map(([k, v]) => `${k.padEnd(16)} ${v}`).join("\n")}\n`;
}

export async function statusCommand(options: { stateDir: string; json?: boolean; write?: (text: string) => void }): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const status = readAgentStatus(options.stateDir);
  write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatAgentStatus(status));
  return status.problem ? 1 : 0;
}

export async function runStatusCli(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { "state-dir": "string", json: "boolean" }, STATUS_USAGE);
  if (flags.help) {
    process.stdout.write(STATUS_USAGE);
    return 0;
  }
  return statusCommand({ stateDir: resolveStateDir(str(flags["state-dir"])), json: flags.json === true });
}
