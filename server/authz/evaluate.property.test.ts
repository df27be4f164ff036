import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACTION_NAMES, matchingActions } from "./actions";
import type { ConditionBlock } from "./conditions";
import { evaluatePolicies, type AuthorizationRequest } from "./evaluate";
import type { PolicyDocument, PolicyStatement } from "./policy-schema";
import { resourceName } from "./resources";

const resources = [
  resourceName("server", "acc1", "srv1"),
  resourceName("server", "acc1", "srv2"),
  resourceName("task", "acc1", "t1"),
  resourceName("user", "acc2", "u1"),
];

const actionArb = fc.constantFrom(...ACTION_NAMES);

/** A catalogue action turned into a pattern: kept, with "?" for some characters, or cut short by "*". */
const actionPatternArb = fc.oneof(
  actionArb,
  fc.constantFrom("*", "sms:*", "iam:*", "sms:*:list", "sms:task:get*", "*:delete", "sms:task:*"),
  fc.tuple(actionArb, fc.nat(), fc.boolean()).map(([action, position, isCut]) => {
    const index = position % action.length;
    return isCut ? `${action.slice(0, index)}*` : `${action.slice(0, index)}?${action.slice(index + 1)}`;
  }),
  fc.tuple(actionArb, fc.boolean()).map(([action, isUpper]) => (isUpper ? action.toUpperCase() : action)),
);

const resourcePatternArb = fc.constantFrom(
  undefined,
  "*",
  "sms:acc1:server:*",
  "sms:*:task:*",
  "iam:acc2:user:u?",
  ...resources,
);

const conditionArb = fc.constantFrom<ConditionBlock | undefined>(
  undefined,
  undefined,
  { IpAddress: { "g:SourceIp": "10.0.0.0/8" } },
  { NotIpAddress: { "g:SourceIp": "10.0.0.0/8" } },
  { StringEquals: { "g:UserName": ["alice", "bob"] } },
  { StringNotLike: { "g:UserName": "a*" } },
  { Bool: { "g:SecureTransport": "true" } },
);

const statementArb: fc.Arbitrary<PolicyStatement> = fc
  .record({
    Effect: fc.constantFrom("Allow" as const, "Deny" as const),
    Action: fc.oneof(actionPatternArb, fc.array(actionPatternArb, { minLength: 1, maxLength: 3 })),
    Resource: resourcePatternArb,
    Condition: conditionArb,
  })
  .map(({ Resource, Condition, ...rest }) => ({
    ...rest,
    ...(Resource === undefined ? {} : { Resource }),
    ...(Condition === undefined ? {} : { Condition }),
  }));

const requestArb: fc.Arbitrary<AuthorizationRequest> = fc.record({
  action: actionArb,
  resource: fc.constantFrom(undefined, ...resources),
  context: fc.record(
    {
      "g:SourceIp": fc.constantFrom("10.1.2.3", "192.0.2.1", "::ffff:10.9.9.9"),
      "g:UserName": fc.constantFrom("alice", "carol"),
      "g:SecureTransport": fc.boolean(),
    },
    { requiredKeys: [] },
  ),
});

function policy(statements: PolicyStatement[]): PolicyDocument {
  return { Version: "1.1", Statement: statements };
}

/** Splits statements into documents at the given cut points (documents may not be empty). */
function intoDocuments(statements: PolicyStatement[], cuts: number[]): PolicyDocument[] {
  const points = [...new Set(cuts.map((cut) => cut % (statements.length + 1)))].filter((p) => p > 0 && p < statements.length);
  points.sort((a, b) => a - b);
  const bounds = [0, ...points, statements.length];
  return bounds.slice(1).map((end, index) => policy(statements.slice(bounds[index], end))).filter((d) => d.Statement.length > 0);
}

function shuffle<T>(items: T[], keys: number[]): T[] {
  return items
    .map((item, index) => ({ item, key: keys[index % Math.max(keys.length, 1)] ?? 0, index }))
    .sort((a, b) => a.key - b.key || a.index - b.index)
    .map(({ item }) => item);
}

const statementsArb = fc.array(statementArb, { minLength: 1, maxLength: 12 });

describe("evaluatePolicies properties", () => {
  it("an applicable Deny wins over every Allow, wherever it is placed", () => {
    fc.assert(
      fc.property(statementsArb, requestArb, fc.nat(), fc.array(fc.nat()), (statements, request, position, cuts) => {
        const deny: PolicyStatement = { Effect: "Deny", Action: request.action.toUpperCase() };
        const allowAll: PolicyStatement = { Effect: "Allow", Action: "*" };
        const all = [allowAll, ...statements];
        all.splice(position % (all.length + 1), 0, deny);
        expect(evaluatePolicies(intoDocuments(all, cuts), request).decision).toBe("explicit-deny");
      }),
      { numRuns: 500 },
    );
  });

  it("shuffling statements or regrouping them into documents never changes the decision", () => {
    fc.assert(
      fc.property(
        statementsArb,
        requestArb,
        fc.array(fc.integer(), { minLength: 1 }),
        fc.array(fc.nat()),
        fc.array(fc.nat()),
        (statements, request, keys, cutsBefore, cutsAfter) => {
          const before = evaluatePolicies(intoDocuments(statements, cutsBefore), request).decision;
          const after = evaluatePolicies(intoDocuments(shuffle(statements, keys), cutsAfter), request).decision;
          expect(after).toBe(before);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("adding an Allow never revokes anything and never lifts a Deny", () => {
    fc.assert(
      fc.property(statementsArb, requestArb, statementArb, fc.nat(), (statements, request, extra, position) => {
        const added: PolicyStatement = { ...extra, Effect: "Allow" };
        const before = evaluatePolicies([policy(statements)], request).decision;
        const withAllow = [...statements];
        withAllow.splice(position % (withAllow.length + 1), 0, added);
        const after = evaluatePolicies([policy(withAllow)], request).decision;
        if (before === "allow") expect(after).toBe("allow");
        if (before === "explicit-deny") expect(after).toBe("explicit-deny");
      }),
      { numRuns: 1000 },
    );
  });

  it("adding a Deny never grants anything", () => {
    fc.assert(
      fc.property(statementsArb, requestArb, statementArb, (statements, request, extra) => {
        const before = evaluatePolicies([policy(statements)], request).decision;
        const after = evaluatePolicies([policy([...statements, { ...extra, Effect: "Deny" }])], request).decision;
        if (before !== "allow") expect(after).not.toBe("allow");
      }),
      { numRuns: 500 },
    );
  });

  it("a lone Allow grants exactly the catalogue actions its pattern matches", () => {
    fc.assert(
      fc.property(actionPatternArb, actionArb, (pattern, action) => {
        const decision = evaluatePolicies([policy([{ Effect: "Allow", Action: pattern }])], { action }).decision;
        expect(decision === "allow").toBe(matchingActions(pattern).includes(action));
      }),
      { numRuns: 2000 },
    );
  });

  it("the case of the requested action never matters", () => {
    fc.assert(
      fc.property(statementsArb, requestArb, fc.array(fc.boolean(), { minLength: 1 }), (statements, request, flips) => {
        const action = Array.from(request.action, (char, index) =>
          flips[index % flips.length] ? char.toUpperCase() : char.toLowerCase(),
        ).join("");
        const documents = [policy(statements)];
        expect(evaluatePolicies(documents, { ...request, action }).decision).toBe(evaluatePolicies(documents, request).decision);
      }),
      { numRuns: 500 },
    );
  });

  it("no statement applies without a matching action, so unrelated policies change nothing", () => {
    fc.assert(
      fc.property(statementsArb, requestArb, (statements, request) => {
        const unrelated = statements.map((statement) => ({ ...statement, Action: "audit:nothing:here" }));
        expect(evaluatePolicies([policy(unrelated)], request).decision).toBe("implicit-deny");
      }),
    );
  });
});
