import { describe, expect, it } from "vitest";
import { MAX_POLICY_CHARS, MAX_STATEMENTS, formatPath, parsePolicyDocument, type PolicyError } from "./policy-schema";

function errorsOf(input: unknown): PolicyError[] {
  const result = parsePolicyDocument(input);
  if (result.ok) throw new Error("expected the policy to be refused");
  return result.errors;
}

function withStatements(...Statement: unknown[]) {
  return { Version: "1.1", Statement };
}

describe("parsePolicyDocument: valid documents", () => {
  it("accepts both versions, strings or lists, resources and conditions", () => {
    const document = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "ReadTasks", Effect: "Allow", Action: "sms:task:get*" },
        {
          Effect: "Deny",
          Action: ["sms:task:delete", "SMS:TASK:STOP", "sms:*:launch", "*"],
          Resource: ["sms:*:task:*", "*"],
          Condition: {
            NotIpAddress: { "g:SourceIp": ["10.0.0.0/8", "2001:db8::/32"] },
            Bool: { "g:SecureTransport": "false" },
            DateLessThan: { "g:CurrentTime": "2030-01-01T00:00:00Z" },
            StringLike: { "g:UserName": "ops-*" },
          },
        },
      ],
    };
    expect(parsePolicyDocument(document)).toEqual({ ok: true, document });
    expect(parsePolicyDocument(withStatements({ Effect: "Allow", Action: "*" })).ok).toBe(true);
  });

  it("accepts JSON text", () => {
    const result = parsePolicyDocument('{ "Version": "1.1", "Statement": [ { "Effect": "Allow", "Action": "sms:server:list" } ] }');
    expect(result.ok && result.document.Statement[0]?.Action).toBe("sms:server:list");
  });
});

describe("parsePolicyDocument: errors point at the offending part", () => {
  it.each<[string, unknown, PolicyError[]]>([
    [
      "an action matching no catalogue action",
      withStatements({ Effect: "Allow", Action: "sms:server:list" }, { Effect: "Allow", Action: ["sms:nothing:*", "sms:server:get"] }),
      [{ path: "Statement[1].Action[0]", message: '"sms:nothing:*" matches no known action' }],
    ],
    [
      "a single-string action",
      withStatements({ Effect: "Allow", Action: "sms:task:frobnicate" }),
      [{ path: "Statement[0].Action", message: '"sms:task:frobnicate" matches no known action' }],
    ],
    [
      "a malformed action",
      withStatements({ Effect: "Allow", Action: ["sms:task:get", "sms task"] }),
      [{ path: "Statement[0].Action[1]", message: expect.stringContaining("is not an action pattern") }],
    ],
    [
      "a regex instead of a wildcard",
      withStatements({ Effect: "Allow", Action: "sms:.*" }),
      [{ path: "Statement[0].Action", message: expect.stringContaining("is not an action pattern") }],
    ],
    [
      "a non-string action",
      withStatements({ Effect: "Allow", Action: ["sms:task:get", 7] }),
      [{ path: "Statement[0].Action[1]", message: "Each Action must be a string" }],
    ],
    [
      "an empty action list",
      withStatements({ Effect: "Allow", Action: [] }),
      [{ path: "Statement[0].Action", message: "Action must not be an empty array" }],
    ],
    [
      "a missing action",
      withStatements({ Effect: "Allow" }),
      [{ path: "Statement[0].Action", message: "Action is required" }],
    ],
    [
      "a bad effect",
      withStatements({ Effect: "allow", Action: "*" }),
      [{ path: "Statement[0].Effect", message: 'Effect must be "Allow" or "Deny"' }],
    ],
    [
      "a bad version",
      { Version: "2", Statement: [{ Effect: "Allow", Action: "*" }] },
      [{ path: "Version", message: 'Version must be "1.1" or "2012-10-17"' }],
    ],
    [
      "unsupported fields",
      withStatements({ Effect: "Allow", Action: "*", NotResource: "*", Principal: "*" }),
      [
        { path: "Statement[0].NotResource", message: 'Unknown field "NotResource"' },
        { path: "Statement[0].Principal", message: 'Unknown field "Principal"' },
      ],
    ],
    [
      "a bad resource",
      withStatements({ Effect: "Allow", Action: "*", Resource: ["sms:*:server:*", "ecs:*:server:*"] }),
      [{ path: "Statement[0].Resource[1]", message: expect.stringContaining('unknown service "ecs"') }],
    ],
    [
      "an unknown condition operator",
      withStatements({ Effect: "Deny", Action: "*", Condition: { StringEqualsIgnoreCase: { "g:UserName": "a" } } }),
      [{ path: "Statement[0].Condition.StringEqualsIgnoreCase", message: expect.stringContaining("Unknown condition operator") }],
    ],
    [
      "an unknown condition key",
      withStatements({ Effect: "Deny", Action: "*", Condition: { StringEquals: { "g:Username2": "a" } } }),
      [{ path: 'Statement[0].Condition.StringEquals["g:Username2"]', message: 'Unknown condition key "g:Username2"' }],
    ],
    [
      "an operator that cannot test the key",
      withStatements({ Effect: "Deny", Action: "*", Condition: { StringEquals: { "g:SourceIp": "10.0.0.1" } } }),
      [{ path: 'Statement[0].Condition.StringEquals["g:SourceIp"]', message: expect.stringContaining("cannot test") }],
    ],
    [
      "a bad CIDR",
      withStatements({ Effect: "Deny", Action: "*", Condition: { IpAddress: { "g:SourceIp": ["10.0.0.0/8", "10.0.0.0/33"] } } }),
      [{ path: 'Statement[0].Condition.IpAddress["g:SourceIp"][1]', message: expect.stringContaining("CIDR") }],
    ],
    [
      "a bad date",
      withStatements({ Effect: "Deny", Action: "*", Condition: { DateGreaterThan: { "g:CurrentTime": "tomorrow" } } }),
      [{ path: 'Statement[0].Condition.DateGreaterThan["g:CurrentTime"]', message: expect.stringContaining("ISO 8601") }],
    ],
    [
      "a bad bool",
      withStatements({ Effect: "Deny", Action: "*", Condition: { Bool: { "g:SecureTransport": "yes" } } }),
      [{ path: 'Statement[0].Condition.Bool["g:SecureTransport"]', message: '"yes" must be "true" or "false"' }],
    ],
    [
      "a non-string condition value",
      withStatements({ Effect: "Deny", Action: "*", Condition: { Bool: { "g:SecureTransport": true } } }),
      [{ path: 'Statement[0].Condition.Bool["g:SecureTransport"]', message: expect.stringContaining("must be a string") }],
    ],
    [
      "an empty condition",
      withStatements({ Effect: "Deny", Action: "*", Condition: {} }),
      [{ path: "Statement[0].Condition", message: "Condition must not be empty" }],
    ],
    [
      "a repeated Sid",
      withStatements({ Sid: "A1", Effect: "Allow", Action: "*" }, { Sid: "A1", Effect: "Deny", Action: "*" }),
      [{ path: "Statement[1].Sid", message: 'Sid "A1" is used twice' }],
    ],
    [
      "a bad Sid",
      withStatements({ Sid: "no spaces", Effect: "Allow", Action: "*" }),
      [{ path: "Statement[0].Sid", message: "Sid must be 1-64 letters or digits" }],
    ],
    [
      "a statement that is not an object",
      withStatements({ Effect: "Allow", Action: "*" }, "Allow everything"),
      [{ path: "Statement[1]", message: "Each statement must be an object" }],
    ],
    ["no statements", withStatements(), [{ path: "Statement", message: "Statement must contain at least one statement" }]],
    ["a missing Statement", { Version: "1.1" }, [{ path: "Statement", message: "Statement is required" }]],
    ["an array", [], [{ path: "", message: expect.stringContaining("JSON object") }]],
    ["null", null, [{ path: "", message: expect.stringContaining("JSON object") }]],
  ])("reports %s", (_name, input, expected) => {
    expect(errorsOf(input)).toEqual(expected);
  });

  it("reports every problem at once, even next to a type error", () => {
    const errors = errorsOf(
      withStatements(
        { Effect: "Maybe", Action: ["sms:nothing:*", 1] },
        { Effect: "Deny", Action: "*", Condition: { Nope: { "g:UserName": "a" }, Bool: { "g:SecureTransport": 1 } } },
      ),
    );
    expect(errors.map((error) => error.path).sort()).toEqual([
      "Statement[0].Action[0]",
      "Statement[0].Action[1]",
      "Statement[0].Effect",
      'Statement[1].Condition.Bool["g:SecureTransport"]',
      "Statement[1].Condition.Nope",
    ]);
  });
});

describe("parsePolicyDocument: limits and JSON text", () => {
  it("limits the number of statements", () => {
    const statements = Array.from({ length: MAX_STATEMENTS + 1 }, () => ({ Effect: "Allow", Action: "*" }));
    expect(errorsOf(withStatements(...statements))).toEqual([
      { path: "Statement", message: `A policy may have at most ${MAX_STATEMENTS} statements` },
    ]);
    expect(parsePolicyDocument(withStatements(...statements.slice(1))).ok).toBe(true);
  });

  it("limits the size of the document, not counting whitespace", () => {
    const actions = Array.from({ length: 400 }, () => "sms:server:list");
    const [error] = errorsOf(withStatements({ Effect: "Allow", Action: actions }));
    expect(error?.path).toBe("");
    expect(error?.message).toMatch(new RegExp(`limit is ${MAX_POLICY_CHARS}`));
    const spacious = JSON.stringify(withStatements({ Effect: "Allow", Action: actions.slice(0, 250) }), null, 10);
    expect(spacious.length).toBeGreaterThan(MAX_POLICY_CHARS);
    expect(parsePolicyDocument(spacious).ok).toBe(true);
  });

  it("refuses huge text before parsing it", () => {
    expect(errorsOf(" ".repeat(70_000) + "{}")[0]?.message).toMatch(/characters long; the limit is 65536/);
  });

  it("reports JSON syntax errors with a line and column where known", () => {
    expect(errorsOf('{\n  "Version": "1.1"\n  "Statement": []\n}')).toEqual([
      { path: "", message: expect.stringMatching(/^Invalid JSON: .*\(line 3, column 3\)$/) },
    ]);
    expect(errorsOf('{"Version": }')).toEqual([{ path: "", message: expect.stringMatching(/^Invalid JSON: Unexpected token/) }]);
    expect(errorsOf("   ")).toEqual([{ path: "", message: "Policy is empty" }]);
  });

  it("refuses values that are not plain JSON", () => {
    expect(errorsOf({ Version: "1.1", Statement: [], big: 1n })[0]?.message).toBe("Policy must be plain JSON data");
  });
});

describe("formatPath", () => {
  it("renders indexes, names and odd keys", () => {
    expect(formatPath(["Statement", 1, "Action", 0])).toBe("Statement[1].Action[0]");
    expect(formatPath(["Statement", 0, "Condition", "IpAddress", "g:SourceIp", 2])).toBe(
      'Statement[0].Condition.IpAddress["g:SourceIp"][2]',
    );
    expect(formatPath([])).toBe("");
  });
});
