import { describe, expect, it } from "vitest";
import { matchesAllResources, parseResourceName, resourceName, resourcePatternError } from "./resources";

describe("resource names", () => {
  it("builds <service>:<accountId>:<type>:<id>", () => {
    expect(resourceName("server", "acc1", "3f2a-1")).toBe("sms:acc1:server:3f2a-1");
    expect(resourceName("user", "acc1", "u1")).toBe("iam:acc1:user:u1");
    expect(resourceName("trace", "acc1", "t1")).toBe("audit:acc1:trace:t1");
  });

  it("refuses ids that would make names ambiguous or act as wildcards", () => {
    for (const id of ["", "a:b", "a*", "a?", "a b"]) {
      expect(() => resourceName("server", "acc1", id), id).toThrow();
      expect(() => resourceName("server", id, "x"), id).toThrow();
    }
  });

  it("parses names it built and nothing else", () => {
    expect(parseResourceName("sms:acc1:task:t-1")).toEqual({ service: "sms", accountId: "acc1", type: "task", id: "t-1" });
    expect(parseResourceName("iam:acc1:task:t-1")).toBeNull();
    expect(parseResourceName("sms:acc1:task")).toBeNull();
    expect(parseResourceName("sms:acc1:nothing:x")).toBeNull();
    expect(parseResourceName("sms:acc1:task:*")).toBeNull();
  });

  it.each([
    ["*", null],
    ["sms:*:server:*", null],
    ["sms:acc1:server:abc", null],
    ["*:*:*:*", null],
    ["sms:acc1:serv*:*", null],
    ["sms", /expected/],
    ["sms:a:server:b:c", /expected/],
    ["sms:a b:server:c", /expected/],
    ["ecs:*:server:*", /unknown service "ecs"/],
    ["sms:*:vm:*", /unknown resource type "vm"/],
    ["sms:*:user:*", /belongs to service "iam"/],
  ])("pattern %s", (pattern, expected) => {
    const error = resourcePatternError(pattern);
    if (expected === null) expect(error).toBeNull();
    else expect(error).toMatch(expected);
  });

  it("knows which patterns cover every resource", () => {
    expect(matchesAllResources("*")).toBe(true);
    expect(matchesAllResources("**")).toBe(true);
    expect(matchesAllResources("sms:*:server:*")).toBe(false);
    expect(matchesAllResources("")).toBe(false);
  });
});
