import { describe, expect, it } from "vitest";
import { ACTIONS, ACTION_NAMES, actionGroup, findAction, isAction, isReadAction, matchingActions } from "./actions";

describe("action catalogue", () => {
  it("names every action service:resource:verb, once, ignoring case", () => {
    for (const { action } of ACTIONS) expect(action).toMatch(/^[a-z]+:[a-z][A-Za-z]*:[a-z][A-Za-z]*$/);
    const lower = ACTION_NAMES.map((name) => name.toLowerCase());
    expect(new Set(lower).size).toBe(lower.length);
  });

  it("includes the verbs the product needs", () => {
    for (const action of [
      "sms:server:register",
      "sms:server:heartbeat",
      "sms:command:poll",
      "sms:task:launch",
      "sms:serverTemplate:delete",
      "sms:targetServer:register",
      "sms:agent:download",
      "iam:group:addUser",
      "iam:accessKey:listAll",
      "iam:credential:changePassword",
      "audit:trace:export",
    ]) {
      expect(isAction(action), action).toBe(true);
    }
  });

  it("classifies verbs that change state as writes", () => {
    expect(isReadAction("sms:server:list")).toBe(true);
    expect(isReadAction("audit:trace:export")).toBe(true);
    for (const action of ["sms:task:progress", "sms:command:poll", "sms:server:heartbeat", "iam:user:disable"]) {
      expect(isReadAction(action), action).toBe(false);
    }
    for (const { action, access } of ACTIONS) {
      if (/:(create|update|delete|start|stop|sync|launch|register|attach|detach|enable|disable)$/.test(action)) {
        expect(access, action).toBe("write");
      }
    }
  });

  it("looks actions up case-insensitively but treats only exact spelling as an Action", () => {
    expect(findAction("SMS:SERVERTEMPLATE:LIST")?.action).toBe("sms:serverTemplate:list");
    expect(isReadAction("SMS:Server:List")).toBe(true);
    expect(isAction("SMS:Server:List")).toBe(false);
    expect(isReadAction("sms:server:nothing")).toBe(false);
  });

  it("expands wildcard patterns to catalogue actions", () => {
    expect(matchingActions("sms:task:get*")).toEqual(["sms:task:get"]);
    expect(matchingActions("sms:*:list").length).toBeGreaterThan(5);
    expect(matchingActions("sms:*:list").every((action) => action.endsWith(":list"))).toBe(true);
    expect(matchingActions("IAM:accesskey:list*")).toEqual(["iam:accessKey:list", "iam:accessKey:listAll"]);
    expect(matchingActions("*")).toEqual(ACTION_NAMES);
    expect(matchingActions("sms:nothing:*")).toEqual([]);
    expect(matchingActions("sms:task:??t")).toEqual(["sms:task:get"]);
  });

  it("groups by service and resource", () => {
    expect(actionGroup("sms:serverTemplate:list")).toBe("sms:serverTemplate");
  });
});
