import { describe, expect, it } from "vitest";
import { evaluatePolicies, isAllowed, type AuthorizationRequest, type Decision } from "./evaluate";
import type { PolicyDocument, PolicyStatement } from "./policy-schema";
import { resourceName } from "./resources";

function policy(...Statement: PolicyStatement[]): PolicyDocument {
  return { Version: "1.1", Statement };
}

const server1 = resourceName("server", "acc1", "srv1");
const server2 = resourceName("server", "acc1", "srv2");
const officeOnly = { IpAddress: { "g:SourceIp": "198.51.100.0/24" } };

describe("evaluatePolicies", () => {
  it.each<[string, PolicyDocument[], AuthorizationRequest, Decision]>([
    ["no policies deny", [], { action: "sms:server:list" }, "implicit-deny"],
    ["an Allow grants", [policy({ Effect: "Allow", Action: "sms:server:list" })], { action: "sms:server:list" }, "allow"],
    [
      "an Allow for another action does not grant",
      [policy({ Effect: "Allow", Action: "sms:server:list" })],
      { action: "sms:server:delete" },
      "implicit-deny",
    ],
    [
      "actions match case-insensitively",
      [policy({ Effect: "Allow", Action: "SMS:Server:LIST" })],
      { action: "sms:server:list" },
      "allow",
    ],
    [
      "a Deny beats an earlier Allow",
      [policy({ Effect: "Allow", Action: "sms:*" }, { Effect: "Deny", Action: "sms:task:delete" })],
      { action: "sms:task:delete" },
      "explicit-deny",
    ],
    [
      "a Deny beats a later Allow in another document",
      [policy({ Effect: "Deny", Action: "sms:task:*" }), policy({ Effect: "Allow", Action: "*" })],
      { action: "sms:task:start" },
      "explicit-deny",
    ],
    [
      "a Deny for other actions leaves the Allow",
      [policy({ Effect: "Allow", Action: "sms:*" }, { Effect: "Deny", Action: "sms:task:delete" })],
      { action: "sms:task:get" },
      "allow",
    ],
    [
      "get* does not reach delete",
      [policy({ Effect: "Allow", Action: "sms:task:get*" })],
      { action: "sms:task:delete" },
      "implicit-deny",
    ],
    [
      "a Resource limits the Allow to matching resources",
      [policy({ Effect: "Allow", Action: "sms:server:get", Resource: server1 })],
      { action: "sms:server:get", resource: server2 },
      "implicit-deny",
    ],
    [
      "a Resource wildcard matches",
      [policy({ Effect: "Allow", Action: "sms:server:get", Resource: "sms:acc1:server:*" })],
      { action: "sms:server:get", resource: server2 },
      "allow",
    ],
    [
      "resources match case-sensitively",
      [policy({ Effect: "Allow", Action: "sms:server:get", Resource: "sms:acc1:server:SRV1" })],
      { action: "sms:server:get", resource: server1 },
      "implicit-deny",
    ],
    [
      "no Resource applies to every resource",
      [policy({ Effect: "Allow", Action: "sms:server:get" })],
      { action: "sms:server:get", resource: server1 },
      "allow",
    ],
    [
      "a Deny limited to one resource spares the others",
      [policy({ Effect: "Allow", Action: "sms:*" }, { Effect: "Deny", Action: "sms:server:delete", Resource: server1 })],
      { action: "sms:server:delete", resource: server2 },
      "allow",
    ],
    [
      "a Deny limited to one resource refuses it",
      [policy({ Effect: "Allow", Action: "sms:*" }, { Effect: "Deny", Action: "sms:server:delete", Resource: server1 })],
      { action: "sms:server:delete", resource: server1 },
      "explicit-deny",
    ],
    [
      "a resource-limited Allow does not grant a request without a resource",
      [policy({ Effect: "Allow", Action: "sms:server:list", Resource: "sms:acc1:server:*" })],
      { action: "sms:server:list" },
      "implicit-deny",
    ],
    [
      'an Allow on Resource "*" grants a request without a resource',
      [policy({ Effect: "Allow", Action: "sms:server:list", Resource: "*" })],
      { action: "sms:server:list" },
      "allow",
    ],
    [
      "a condition that holds lets the Allow grant",
      [policy({ Effect: "Allow", Action: "sms:*", Condition: officeOnly })],
      { action: "sms:task:start", context: { "g:SourceIp": "198.51.100.7" } },
      "allow",
    ],
    [
      "a condition that fails stops the Allow",
      [policy({ Effect: "Allow", Action: "sms:*", Condition: officeOnly })],
      { action: "sms:task:start", context: { "g:SourceIp": "203.0.113.7" } },
      "implicit-deny",
    ],
    [
      "a missing condition key stops the Allow",
      [policy({ Effect: "Allow", Action: "sms:*", Condition: officeOnly })],
      { action: "sms:task:start" },
      "implicit-deny",
    ],
    [
      "a Deny outside the office refuses",
      [
        policy(
          { Effect: "Allow", Action: "*" },
          { Effect: "Deny", Action: "*", Condition: { NotIpAddress: { "g:SourceIp": "198.51.100.0/24" } } },
        ),
      ],
      { action: "iam:user:create", context: { "g:SourceIp": "2001:db8::1" } },
      "explicit-deny",
    ],
    [
      "a Deny outside the office spares the office",
      [
        policy(
          { Effect: "Allow", Action: "*" },
          { Effect: "Deny", Action: "*", Condition: { NotIpAddress: { "g:SourceIp": "198.51.100.0/24" } } },
        ),
      ],
      { action: "iam:user:create", context: { "g:SourceIp": "198.51.100.200" } },
      "allow",
    ],
  ])("%s", (_name, documents, request, expected) => {
    expect(evaluatePolicies(documents, request).decision).toBe(expected);
  });

  it("names the statement that decided", () => {
    const documents = [
      policy({ Sid: "All", Effect: "Allow", Action: "*" }),
      policy({ Effect: "Allow", Action: "sms:*" }, { Sid: "NoDelete", Effect: "Deny", Action: "sms:*:delete" }),
    ];
    expect(evaluatePolicies(documents, { action: "sms:task:delete" })).toMatchObject({
      decision: "explicit-deny",
      statement: { documentIndex: 1, statementIndex: 1, sid: "NoDelete" },
    });
    expect(evaluatePolicies(documents, { action: "sms:task:get" })).toMatchObject({
      decision: "allow",
      statement: { documentIndex: 0, statementIndex: 0, sid: "All" },
    });
    expect(evaluatePolicies(documents.slice(1), { action: "iam:user:get" })).toEqual({ decision: "implicit-deny" });
  });

  it("refuses through a stored Deny with an operator it does not know", () => {
    const stored = policy(
      { Effect: "Allow", Action: "*", Condition: { Unheard: { "g:UserName": "x" } } as PolicyStatement["Condition"] },
    );
    expect(isAllowed([stored], { action: "sms:server:list" })).toBe(false);
    const deny = policy(
      { Effect: "Allow", Action: "*" },
      { Effect: "Deny", Action: "*", Condition: { Unheard: { "g:UserName": "x" } } as PolicyStatement["Condition"] },
    );
    expect(isAllowed([deny], { action: "sms:server:list" })).toBe(false);
  });
});
