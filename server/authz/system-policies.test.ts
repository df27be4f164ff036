import { describe, expect, it } from "vitest";
import { ACTION_NAMES, isReadAction } from "./actions";
import { evaluatePolicies } from "./evaluate";
import { parsePolicyDocument } from "./policy-schema";
import {
  IAM_FULL_ACCESS,
  SMS_FULL_ACCESS,
  SMS_READ_ONLY_ACCESS,
  SYSTEM_POLICIES,
  findSystemPolicy,
  isSystemPolicyId,
} from "./system-policies";

function allowedActions(policy: (typeof SYSTEM_POLICIES)[number]): string[] {
  return ACTION_NAMES.filter((action) => evaluatePolicies([policy.document], { action }).decision === "allow");
}

describe("system policies", () => {
  it("have stable ids and names", () => {
    expect(SYSTEM_POLICIES.map(({ id, name }) => [id, name])).toEqual([
      ["00000000-0000-4000-8000-000000000001", "SMS FullAccess"],
      ["00000000-0000-4000-8000-000000000002", "SMS ReadOnlyAccess"],
      ["00000000-0000-4000-8000-000000000003", "IAM FullAccess"],
    ]);
    expect(findSystemPolicy(SMS_READ_ONLY_ACCESS.id)).toBe(SMS_READ_ONLY_ACCESS);
    expect(isSystemPolicyId("00000000-0000-4000-8000-000000000009")).toBe(false);
  });

  it("are valid policies within the size limits", () => {
    for (const policy of SYSTEM_POLICIES) expect(parsePolicyDocument(policy.document), policy.name).toMatchObject({ ok: true });
  });

  it("cannot be modified in memory", () => {
    expect(() => {
      (SMS_FULL_ACCESS.document.Statement as unknown[]).push({ Effect: "Allow", Action: "*" });
    }).toThrow();
    expect(() => {
      (SMS_READ_ONLY_ACCESS.document.Statement[0] as { Effect: string }).Effect = "Deny";
    }).toThrow();
  });

  it("SMS FullAccess allows every sms action and nothing else", () => {
    expect(allowedActions(SMS_FULL_ACCESS)).toEqual(ACTION_NAMES.filter((action) => action.startsWith("sms:")));
  });

  it("SMS ReadOnlyAccess allows exactly the sms read actions, never a write", () => {
    const allowed = allowedActions(SMS_READ_ONLY_ACCESS);
    expect(allowed).toEqual(ACTION_NAMES.filter((action) => action.startsWith("sms:") && isReadAction(action)));
    expect(allowed).toContain("sms:server:list");
    expect(allowed).toContain("sms:log:get");
    expect(allowed).not.toContain("sms:command:poll");
    expect(allowed.every(isReadAction)).toBe(true);
  });

  it("IAM FullAccess allows every iam and audit action and no sms action", () => {
    expect(allowedActions(IAM_FULL_ACCESS)).toEqual(ACTION_NAMES.filter((action) => /^(iam|audit):/.test(action)));
  });
});
