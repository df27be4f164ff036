import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasWildcard, matchesWildcard } from "./wildcard";

// An independent oracle: a regular expression built with every non-wildcard character escaped.
function oracle(pattern: string, value: string, ignoreCase = false): boolean {
  const source = Array.from(pattern)
    .map((char) => (char === "*" ? "[\\s\\S]*" : char === "?" ? "[\\s\\S]" : char.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "iu" : "u").test(value);
}

describe("matchesWildcard", () => {
  it.each([
    ["sms:task:get*", "sms:task:get", true],
    ["sms:task:get*", "sms:task:getLogs", true],
    ["sms:task:get*", "sms:task:delete", false],
    ["sms:*", "sms:server:list", true],
    ["sms:*:*", "sms:server:list", true],
    ["sms:*:list", "sms:server:get", false],
    ["*", "", true],
    ["*", "anything:at:all", true],
    ["sms:task:?et", "sms:task:get", true],
    ["sms:task:?et", "sms:task:et", false],
    ["sms:task:?et", "sms:task:gget", false],
    ["a??c", "abbc", true],
    ["a??c", "abc", false],
    ["a.c", "abc", false],
    ["a.c", "a.c", true],
    ["(a|b)", "a", false],
    ["(a|b)", "(a|b)", true],
    ["a+", "aa", false],
    ["[ab]", "a", false],
    ["^a$", "^a$", true],
    ["a\\*", "a\\bcd", true],
    ["*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", false],
    ["?", "中", true],
    ["?", "😀", true],
  ])("%s against %s is %s", (pattern, value, expected) => {
    expect(matchesWildcard(pattern, value)).toBe(expected);
  });

  it("is case-sensitive unless asked otherwise", () => {
    expect(matchesWildcard("SMS:Server:*", "sms:server:list")).toBe(false);
    expect(matchesWildcard("SMS:Server:*", "sms:server:list", { ignoreCase: true })).toBe(true);
  });

  it("agrees with an escaped-regex oracle on arbitrary patterns, including regex metacharacters", () => {
    const chars = fc.constantFrom(..."ab:.*?+()[]{}^$|\\-/");
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 8 }), fc.string({ unit: chars, maxLength: 10 }), (pattern, value) => {
        expect(matchesWildcard(pattern, value)).toBe(oracle(pattern, value));
      }),
      { numRuns: 2000 },
    );
  });

  it("a pattern without wildcards matches only itself", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (pattern, value) => {
        fc.pre(!hasWildcard(pattern));
        expect(matchesWildcard(pattern, value)).toBe(pattern === value);
        expect(matchesWildcard(pattern, pattern)).toBe(true);
      }),
    );
  });

  it("? matches exactly one character", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 12 }), fc.nat({ max: 4 }), (value, count) => {
        expect(matchesWildcard("?".repeat(count), value)).toBe(value.length === count);
      }),
    );
  });

  it("prefix* matches exactly the values starting with the prefix", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z:]{0,6}$/), fc.stringMatching(/^[a-z:]{0,10}$/), (prefix, value) => {
        expect(matchesWildcard(`${prefix}*`, value)).toBe(value.startsWith(prefix));
      }),
    );
  });
});
