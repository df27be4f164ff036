import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "./policy-schema";
import { summarizePolicies, summarizePolicy } from "./summarize";
import { SMS_READ_ONLY_ACCESS } from "./system-policies";

describe("summarizePolicy", () => {
  it("groups allowed actions by service:resource", () => {
    const summary = summarizePolicy({ Version: "1.1", Statement: [{ Effect: "Allow", Action: ["sms:task:get*", "sms:server:*"] }] });
    expect(summary.groups.map((group) => group.group)).toEqual(["sms:server", "sms:task"]);
    const task = summary.groups.find((group) => group.group === "sms:task");
    expect(task).toEqual({
      group: "sms:task",
      service: "sms",
      resource: "task",
      allowed: [{ action: "sms:task:get", description: expect.any(String), access: "read", coverage: "all" }],
      denied: [],
    });
    expect(summary.allowedCount).toBe(8);
    expect(summary.allowsWrite).toBe(true);
  });

  it("shows an unconditional Deny as denied and not allowed", () => {
    const document: PolicyDocument = {
      Version: "1.1",
      Statement: [
        { Effect: "Allow", Action: "sms:task:*" },
        { Effect: "Deny", Action: "sms:task:delete" },
      ],
    };
    const [task] = summarizePolicy(document).groups;
    expect(task?.allowed.map((entry) => entry.action)).not.toContain("sms:task:delete");
    expect(task?.denied).toEqual([expect.objectContaining({ action: "sms:task:delete", coverage: "all" })]);
  });

  it("marks grants limited by resource, condition or a limited Deny", () => {
    const document: PolicyDocument = {
      Version: "1.1",
      Statement: [
        { Effect: "Allow", Action: "sms:server:get", Resource: "sms:acc1:server:*" },
        { Effect: "Allow", Action: "sms:server:list", Condition: { IpAddress: { "g:SourceIp": "10.0.0.0/8" } } },
        { Effect: "Allow", Action: ["sms:task:list", "sms:task:get"], Resource: "*" },
        { Effect: "Deny", Action: "sms:task:get", Resource: "sms:acc1:task:secret" },
      ],
    };
    const coverage = Object.fromEntries(
      summarizePolicy(document).groups.flatMap((group) => group.allowed.map((entry) => [entry.action, entry.coverage])),
    );
    expect(coverage).toEqual({
      "sms:server:list": "limited",
      "sms:server:get": "limited",
      "sms:task:list": "all",
      "sms:task:get": "limited",
    });
  });

  it("takes the widest grant over several policies", () => {
    const limited: PolicyDocument = {
      Version: "1.1",
      Statement: [{ Effect: "Allow", Action: "iam:user:get", Resource: "iam:acc1:user:u1" }],
    };
    const full: PolicyDocument = { Version: "1.1", Statement: [{ Effect: "Allow", Action: "iam:user:*" }] };
    const summary = summarizePolicies([limited, full]);
    expect(summary.groups[0]?.allowed.find((entry) => entry.action === "iam:user:get")?.coverage).toBe("all");
  });

  it("lists denies of a Deny-only policy", () => {
    const summary = summarizePolicy({ Version: "1.1", Statement: [{ Effect: "Deny", Action: "audit:*" }] });
    expect(summary).toMatchObject({ allowedCount: 0, deniedCount: 2, allowsWrite: false });
  });

  it("reports that SMS ReadOnlyAccess allows no write", () => {
    const summary = summarizePolicy(SMS_READ_ONLY_ACCESS.document);
    expect(summary.allowsWrite).toBe(false);
    expect(summary.groups.flatMap((group) => group.allowed).every((entry) => entry.access === "read")).toBe(true);
  });
});
