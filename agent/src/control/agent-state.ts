import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { readFileIfExists, writeFileAtomic } from "../config/files";

const AGENT_ID_FILE = "agent-id";
const STATE_FILE = "state.json";
const PID_FILE = "agent.pid";

/**
 * The agent's identity: made once and kept, so a restarted agent (or a reinstalled one with the
 * same state folder) is the same source server in the console.
 */
export function loadOrCreateAgentId(stateDir: string): string {
  const file = path.join(stateDir, AGENT_ID_FILE);
  const existing = readFileIfExists(file)?.trim();
  if (existing && z.string().uuid().safeParse(existing).success) return existing;
  const agentId = randomUUID();
  writeFileAtomic(file, `${agentId}\n`, 0o600);
  return agentId;
}

export function readAgentId(stateDir: string): string | null {
  return readFileIfExists(path.join(stateDir, AGENT_ID_FILE))?.trim() || null;
}

export const AGENT_ROLES = ["source", "target"] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

const agentStateSchema = z.object({
  /** Which kind of agent registered from this folder; one folder serves one role (null: older agents). */
  role: z.enum(AGENT_ROLES).nullable().default(null),
  consoleUrl: z.string(),
  serverId: z.string().nullable(),
  hostname: z.string().nullable(),
  registeredAt: z.string().nullable(),
  lastHeartbeatAt: z.string().nullable(),
  heartbeatIntervalSeconds: z.number().nullable(),
  lastError: z.string().nullable().default(null),
});
export type AgentState = z.infer<typeof agentStateSchema>;

export function readAgentState(stateDir: string): AgentState | null {
  const text = readFileIfExists(path.join(stateDir, STATE_FILE));
  if (!text) return null;
  try {
    const parsed = agentStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function writeAgentState(stateDir: string, state: z.input<typeof agentStateSchema>): void {
  writeFileAtomic(path.join(stateDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

/** Marks this process as the running agent of the state folder; refuses when another one is. */
export function claimPidFile(stateDir: string, pid = process.pid): () => void {
  const file = path.join(stateDir, PID_FILE);
  const other = runningAgentPid(stateDir);
  if (other !== null && other !== pid) return () => {};
  writeFileAtomic(file, `${pid}\n`, 0o644);
  return () => {
    if (readFileIfExists(file)?.trim() === String(pid)) fs.rmSync(file, { force: true });
  };
}

/** The pid of the agent running on this state folder, if one is. */
export function runningAgentPid(stateDir: string): number | null {
  const pid = Number(readFileIfExists(path.join(stateDir, PID_FILE))?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? pid : null;
  }
}
