/**
 * Built-in policies. They are not editable, and their ids and names never change, so the database
 * can refer to them and attachments survive upgrades. The ids are fixed UUIDs (fit a uuid column).
 */
import { ACTION_ENTRIES, actionService } from "./actions";
import type { PolicyDocument } from "./policy-schema";

export interface SystemPolicy {
  id: string;
  name: string;
  description: string;
  document: PolicyDocument;
}

// Listed action by action rather than as "sms:*:get*" so a write verb can never slip in by name.
const smsReadActions = ACTION_ENTRIES.filter(
  (entry) => actionService(entry.action) === "sms" && entry.access === "read",
).map((entry) => entry.action);

export const SMS_FULL_ACCESS: SystemPolicy = {
  id: "00000000-0000-4000-8000-000000000001",
  name: "SMS FullAccess",
  description: "Full access to server migration: servers, tasks, templates, target servers and agents",
  document: { Version: "1.1", Statement: [{ Effect: "Allow", Action: ["sms:*"] }] },
};

export const SMS_READ_ONLY_ACCESS: SystemPolicy = {
  id: "00000000-0000-4000-8000-000000000002",
  name: "SMS ReadOnlyAccess",
  description: "View servers, tasks, templates, target servers and agent logs, without changing anything",
  document: { Version: "1.1", Statement: [{ Effect: "Allow", Action: smsReadActions }] },
};

export const IAM_FULL_ACCESS: SystemPolicy = {
  id: "00000000-0000-4000-8000-000000000003",
  name: "IAM FullAccess",
  description: "Full access to users, groups, policies, access keys and the audit trail",
  document: { Version: "1.1", Statement: [{ Effect: "Allow", Action: ["iam:*", "audit:*"] }] },
};

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

export const SYSTEM_POLICIES: readonly SystemPolicy[] = deepFreeze([SMS_FULL_ACCESS, SMS_READ_ONLY_ACCESS, IAM_FULL_ACCESS]);

export function findSystemPolicy(id: string): SystemPolicy | undefined {
  return SYSTEM_POLICIES.find((policy) => policy.id === id);
}

export function isSystemPolicyId(id: string): boolean {
  return findSystemPolicy(id) !== undefined;
}
