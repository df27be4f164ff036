/**
 * The catalogue of every action a policy can name, `service:resource:verb`. Adding an action here is
 * all it takes for policies, the evaluator, the summary and SMS ReadOnlyAccess to know it.
 * `access: "read"` must only be used for verbs that change nothing: ReadOnlyAccess is built from it.
 * `agent: true` marks verbs an agent calls with its access key rather than a person in the console.
 */
import { matchesWildcard } from "./wildcard";

export type ActionAccess = "read" | "write";

interface ActionDefinition {
  action: string;
  description: string;
  access: ActionAccess;
  agent?: boolean;
}

export const ACTIONS = [
  // Source servers, as registered and reported by agents.
  { action: "sms:server:list", description: "List source servers", access: "read" },
  { action: "sms:server:get", description: "View a source server and its discovered details", access: "read" },
  { action: "sms:server:update", description: "Rename or edit a source server", access: "write" },
  { action: "sms:server:delete", description: "Delete a source server record", access: "write" },
  { action: "sms:server:register", description: "Register a source server (agent)", access: "write", agent: true },
  { action: "sms:server:heartbeat", description: "Send agent heartbeats (agent)", access: "write", agent: true },
  { action: "sms:server:report", description: "Report discovered server details (agent)", access: "write", agent: true },

  // Commands queued for agents. Polling claims commands, so it is a write.
  { action: "sms:command:poll", description: "Fetch pending commands (agent)", access: "write", agent: true },
  { action: "sms:command:ack", description: "Acknowledge or complete a command (agent)", access: "write", agent: true },
  { action: "sms:command:create", description: "Send a command to an agent", access: "write" },
  { action: "sms:command:list", description: "List commands sent to agents", access: "read" },

  // Agent logs.
  { action: "sms:log:upload", description: "Upload agent logs (agent)", access: "write", agent: true },
  { action: "sms:log:get", description: "Download agent logs", access: "read" },

  // Migration tasks.
  { action: "sms:task:list", description: "List migration tasks", access: "read" },
  { action: "sms:task:get", description: "View a migration task and its progress", access: "read" },
  { action: "sms:task:create", description: "Create a migration task", access: "write" },
  { action: "sms:task:update", description: "Edit a migration task", access: "write" },
  { action: "sms:task:delete", description: "Delete a migration task", access: "write" },
  { action: "sms:task:start", description: "Start a migration task", access: "write" },
  { action: "sms:task:stop", description: "Stop a migration task", access: "write" },
  { action: "sms:task:sync", description: "Run an incremental sync", access: "write" },
  { action: "sms:task:launch", description: "Launch the target server (cut over)", access: "write" },
  { action: "sms:task:progress", description: "Report task progress (agent)", access: "write", agent: true },
  { action: "sms:task:certificate", description: "Get a task pass's TLS certificate signed from a CSR (agent)", access: "write", agent: true },

  // Migration templates.
  { action: "sms:template:list", description: "List migration templates", access: "read" },
  { action: "sms:template:get", description: "View a migration template", access: "read" },
  { action: "sms:template:create", description: "Create a migration template", access: "write" },
  { action: "sms:template:update", description: "Edit a migration template", access: "write" },
  { action: "sms:template:delete", description: "Delete a migration template", access: "write" },

  // Target server templates.
  { action: "sms:serverTemplate:list", description: "List target server templates", access: "read" },
  { action: "sms:serverTemplate:get", description: "View a target server template", access: "read" },
  { action: "sms:serverTemplate:create", description: "Create a target server template", access: "write" },
  { action: "sms:serverTemplate:update", description: "Edit a target server template", access: "write" },
  { action: "sms:serverTemplate:delete", description: "Delete a target server template", access: "write" },

  // Target servers.
  { action: "sms:targetServer:list", description: "List target servers", access: "read" },
  { action: "sms:targetServer:get", description: "View a target server", access: "read" },
  { action: "sms:targetServer:register", description: "Register a target server", access: "write", agent: true },
  { action: "sms:targetServer:delete", description: "Delete a target server record", access: "write" },

  { action: "sms:agent:download", description: "Download the agent", access: "read" },

  // IAM users.
  { action: "iam:user:list", description: "List users", access: "read" },
  { action: "iam:user:get", description: "View a user", access: "read" },
  { action: "iam:user:create", description: "Create a user", access: "write" },
  { action: "iam:user:update", description: "Edit a user", access: "write" },
  { action: "iam:user:delete", description: "Delete a user", access: "write" },
  { action: "iam:user:disable", description: "Disable a user", access: "write" },
  { action: "iam:user:enable", description: "Enable a user", access: "write" },

  // IAM groups.
  { action: "iam:group:list", description: "List user groups", access: "read" },
  { action: "iam:group:get", description: "View a user group", access: "read" },
  { action: "iam:group:create", description: "Create a user group", access: "write" },
  { action: "iam:group:update", description: "Edit a user group", access: "write" },
  { action: "iam:group:delete", description: "Delete a user group", access: "write" },
  { action: "iam:group:addUser", description: "Add a user to a group", access: "write" },
  { action: "iam:group:removeUser", description: "Remove a user from a group", access: "write" },

  // IAM policies.
  { action: "iam:policy:list", description: "List policies", access: "read" },
  { action: "iam:policy:get", description: "View a policy", access: "read" },
  { action: "iam:policy:create", description: "Create a custom policy", access: "write" },
  { action: "iam:policy:update", description: "Edit a custom policy", access: "write" },
  { action: "iam:policy:delete", description: "Delete a custom policy", access: "write" },
  { action: "iam:policy:attach", description: "Attach a policy to a user or group", access: "write" },
  { action: "iam:policy:detach", description: "Detach a policy from a user or group", access: "write" },

  // Access keys (AK/SK). `list` covers the caller's own keys, `listAll` every user's.
  { action: "iam:accessKey:list", description: "List your own access keys", access: "read" },
  { action: "iam:accessKey:listAll", description: "List the access keys of every user", access: "read" },
  { action: "iam:accessKey:create", description: "Create an access key", access: "write" },
  { action: "iam:accessKey:update", description: "Enable, disable or describe an access key", access: "write" },
  { action: "iam:accessKey:delete", description: "Delete an access key", access: "write" },

  { action: "iam:credential:changePassword", description: "Change your own password", access: "write" },

  // Audit trail.
  { action: "audit:trace:list", description: "View the audit trail", access: "read" },
  { action: "audit:trace:export", description: "Export the audit trail", access: "read" },
] as const satisfies readonly ActionDefinition[];

export type Action = (typeof ACTIONS)[number]["action"];

export interface ActionEntry {
  action: Action;
  description: string;
  access: ActionAccess;
  agent?: boolean;
}

export const ACTION_ENTRIES: readonly ActionEntry[] = ACTIONS;
export const ACTION_NAMES: readonly Action[] = ACTIONS.map((entry) => entry.action);

// Action names are compared case-insensitively, as in Huawei and AWS IAM.
const entriesByLowerName = new Map<string, ActionEntry>(
  ACTION_ENTRIES.map((entry) => [entry.action.toLowerCase(), entry]),
);

/** The catalogue entry for an action name, compared case-insensitively. */
export function findAction(name: string): ActionEntry | undefined {
  return entriesByLowerName.get(name.toLowerCase());
}

/** True only for the exact catalogue spelling, so the result can be used as an `Action`. */
export function isAction(name: string): name is Action {
  return findAction(name)?.action === name;
}

/** True for catalogue actions that change nothing; unknown names are not read actions. */
export function isReadAction(name: string): boolean {
  return findAction(name)?.access === "read";
}

/** Catalogue actions matched by a pattern with `*` and `?` wildcards, in catalogue order. */
export function matchingActions(pattern: string): Action[] {
  return ACTION_NAMES.filter((action) => matchesWildcard(pattern, action, { ignoreCase: true }));
}

/** "sms:server:list" -> "sms:server": how the UI groups actions. */
export function actionGroup(action: Action): string {
  return action.slice(0, action.lastIndexOf(":"));
}

export function actionService(action: Action): string {
  return action.slice(0, action.indexOf(":"));
}
