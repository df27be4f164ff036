import { describe, expect, it } from "vitest";
import { conditionsHold, type ConditionBlock, type RequestContext } from "./conditions";

const context: RequestContext = {
  "g:SourceIp": "203.0.113.9",
  "g:CurrentTime": "2025-06-01T12:00:00Z",
  "g:SecureTransport": true,
  "g:UserName": "alice",
  "g:ViaAccessKey": "false",
};

describe("conditionsHold", () => {
  it.each<[string, ConditionBlock, boolean, RequestContext?]>([
    ["StringEquals matches exactly", { StringEquals: { "g:UserName": "alice" } }, true],
    ["StringEquals is case-sensitive", { StringEquals: { "g:UserName": "Alice" } }, false],
    ["several values are alternatives", { StringEquals: { "g:UserName": ["bob", "alice"] } }, true],
    ["StringNotEquals", { StringNotEquals: { "g:UserName": "bob" } }, true],
    ["StringNotEquals holds only if no value matches", { StringNotEquals: { "g:UserName": ["bob", "alice"] } }, false],
    ["StringLike with *", { StringLike: { "g:UserName": "al*" } }, true],
    ["StringLike with ?", { StringLike: { "g:UserName": "al?ce" } }, true],
    ["StringLike keeps regex characters literal", { StringLike: { "g:UserName": "a.*" } }, false],
    ["StringNotLike", { StringNotLike: { "g:UserName": "b*" } }, true],
    ["IpAddress inside", { IpAddress: { "g:SourceIp": "203.0.113.0/24" } }, true],
    ["IpAddress outside", { IpAddress: { "g:SourceIp": ["10.0.0.0/8", "2001:db8::/32"] } }, false],
    ["NotIpAddress outside", { NotIpAddress: { "g:SourceIp": "10.0.0.0/8" } }, true],
    ["NotIpAddress inside", { NotIpAddress: { "g:SourceIp": "203.0.113.9" } }, false],
    ["Bool against a boolean", { Bool: { "g:SecureTransport": "true" } }, true],
    ["Bool against a string", { Bool: { "g:ViaAccessKey": "FALSE" } }, true],
    ["Bool mismatch", { Bool: { "g:SecureTransport": "false" } }, false],
    ["DateGreaterThan", { DateGreaterThan: { "g:CurrentTime": "2025-01-01T00:00:00Z" } }, true],
    ["DateGreaterThan is strict", { DateGreaterThan: { "g:CurrentTime": "2025-06-01T12:00:00Z" } }, false],
    ["DateLessThan", { DateLessThan: { "g:CurrentTime": "2025-06-01" } }, false],
    ["DateLessThan with offset", { DateLessThan: { "g:CurrentTime": "2025-06-01T13:00:00+00:30" } }, true],
    ["keys are case-insensitive", { StringEquals: { "G:USERNAME": "alice" } }, true],
    [
      "all operators must hold",
      { StringEquals: { "g:UserName": "alice" }, IpAddress: { "g:SourceIp": "10.0.0.0/8" } },
      false,
    ],
    ["all keys must hold", { StringEquals: { "g:UserName": "alice", "g:UserId": "u1" } }, false],
    ["a missing key makes a positive operator false", { StringEquals: { "g:UserId": "u1" } }, false],
    ["a missing key makes StringLike * false", { StringLike: { "g:UserId": "*" } }, false],
    ["a missing key makes a negated operator true", { StringNotEquals: { "g:UserId": "u1" } }, true],
    ["a missing key makes NotIpAddress true", { NotIpAddress: { "g:SourceIp": "10.0.0.0/8" } }, true, {}],
    ["an undefined value counts as missing", { StringEquals: { "g:UserName": "alice" } }, false, { "g:UserName": undefined }],
  ])("%s", (_name, condition, expected, ctx = context) => {
    expect(conditionsHold(condition, ctx)).toBe(expected);
  });

  it("treats a multi-valued context value as matching if any value matches", () => {
    expect(conditionsHold({ StringEquals: { "g:UserName": "b" } }, { "g:UserName": ["a", "b"] })).toBe(true);
    expect(conditionsHold({ StringNotEquals: { "g:UserName": "b" } }, { "g:UserName": ["a", "b"] })).toBe(false);
    expect(conditionsHold({ StringEquals: { "g:UserName": "b" } }, { "g:UserName": [] })).toBe(false);
  });

  it("does not match an unparsable context address or date", () => {
    expect(conditionsHold({ IpAddress: { "g:SourceIp": "0.0.0.0/0" } }, { "g:SourceIp": "unknown" })).toBe(false);
    expect(conditionsHold({ DateGreaterThan: { "g:CurrentTime": "2000-01-01" } }, { "g:CurrentTime": "soon" })).toBe(false);
  });

  it("lets an unknown operator from a stored document err towards denial", () => {
    const condition = { Sometimes: { "g:UserName": "alice" } };
    expect(conditionsHold(condition, context, false)).toBe(false);
    expect(conditionsHold(condition, context, true)).toBe(true);
  });

  it("holds when there is no condition", () => {
    expect(conditionsHold(undefined, {})).toBe(true);
  });
});
