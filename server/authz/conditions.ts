/**
 * Condition operators, how their values are validated, and how a Condition block is evaluated.
 * Semantics follow AWS/Huawei IAM: every operator and every key in a block must hold (AND); several
 * policy values for one key are alternatives (OR); a negated operator (StringNotEquals, StringNotLike,
 * NotIpAddress) holds when the context value matches none of them. A key missing from the context
 * makes a positive operator false and a negated one true, as in AWS.
 */
import type { ConditionKeyType } from "./condition-keys";
import { cidrContains, parseCidr, parseIpAddress } from "./ip-address";
import { matchesWildcard } from "./wildcard";

export type ConditionValue = string | string[];
export type ConditionBlock = Record<string, Record<string, ConditionValue>>;
export type ContextValue = string | readonly string[] | boolean | undefined;
export type RequestContext = Readonly<Record<string, ContextValue>>;

interface OperatorDefinition {
  keyType: ConditionKeyType;
  isNegated: boolean;
  matches: (policyValue: string, contextValue: string) => boolean;
}

const ISO_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function parseConditionDate(value: string): number | null {
  if (!ISO_DATE_PATTERN.test(value)) return null;
  const time = Date.parse(value);
  return Number.isFinite(time) ? time : null;
}

function compareDates(policyValue: string, contextValue: string, isAfter: boolean): boolean {
  const policyTime = parseConditionDate(policyValue);
  const contextTime = parseConditionDate(contextValue);
  if (policyTime === null || contextTime === null) return false;
  return isAfter ? contextTime > policyTime : contextTime < policyTime;
}

function isInCidr(policyValue: string, contextValue: string): boolean {
  const block = parseCidr(policyValue);
  const address = parseIpAddress(contextValue);
  return block !== null && address !== null && cidrContains(block, address);
}

const stringEquals = (policyValue: string, contextValue: string) => policyValue === contextValue;
const stringLike = (policyValue: string, contextValue: string) => matchesWildcard(policyValue, contextValue);

export const CONDITION_OPERATORS = {
  StringEquals: { keyType: "string", isNegated: false, matches: stringEquals },
  StringNotEquals: { keyType: "string", isNegated: true, matches: stringEquals },
  StringLike: { keyType: "string", isNegated: false, matches: stringLike },
  StringNotLike: { keyType: "string", isNegated: true, matches: stringLike },
  IpAddress: { keyType: "ip", isNegated: false, matches: isInCidr },
  NotIpAddress: { keyType: "ip", isNegated: true, matches: isInCidr },
  Bool: {
    keyType: "bool",
    isNegated: false,
    matches: (policyValue, contextValue) => policyValue.toLowerCase() === contextValue.toLowerCase(),
  },
  DateGreaterThan: { keyType: "date", isNegated: false, matches: (p, c) => compareDates(p, c, true) },
  DateLessThan: { keyType: "date", isNegated: false, matches: (p, c) => compareDates(p, c, false) },
} as const satisfies Record<string, OperatorDefinition>;

export type ConditionOperator = keyof typeof CONDITION_OPERATORS;
export const CONDITION_OPERATOR_NAMES = Object.keys(CONDITION_OPERATORS) as ConditionOperator[];

export function isConditionOperator(name: string): name is ConditionOperator {
  return Object.hasOwn(CONDITION_OPERATORS, name);
}

/** Why a policy value is unusable for an operator of this key type, or null when it is fine. */
export function conditionValueError(keyType: ConditionKeyType, value: string): string | null {
  switch (keyType) {
    case "ip":
      return parseCidr(value) ? null : `"${value}" is not an IPv4/IPv6 address or CIDR block`;
    case "bool":
      return /^(true|false)$/i.test(value) ? null : `"${value}" must be "true" or "false"`;
    case "date":
      return parseConditionDate(value) === null ? `"${value}" is not an ISO 8601 date (e.g. 2025-01-31T00:00:00Z)` : null;
    case "string":
      return null;
  }
}

function toArray<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? value : [value as T];
}

function contextValues(context: RequestContext, key: string): string[] | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) {
    if (name.toLowerCase() !== wanted || value === undefined) continue;
    const values = typeof value === "boolean" ? [String(value)] : [...toArray(value)];
    return values.length > 0 ? values : undefined;
  }
  return undefined;
}

/**
 * Whether every condition of a statement holds for this context; no block always holds.
 * The schema refuses unknown operators; should a stored document still hold one, it counts as
 * `unknownOperatorHolds`: pass true for a Deny and false for an Allow, so it errs towards denial.
 */
export function conditionsHold(
  condition: ConditionBlock | undefined,
  context: RequestContext = {},
  unknownOperatorHolds = false,
): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([operatorName, keys]) => {
    if (!isConditionOperator(operatorName)) return unknownOperatorHolds;
    const operator: OperatorDefinition = CONDITION_OPERATORS[operatorName];
    return Object.entries(keys).every(([key, policyValue]) => {
      const actual = contextValues(context, key);
      if (actual === undefined) return operator.isNegated;
      const policyValues = toArray(policyValue);
      const isAnyMatch = actual.some((value) => policyValues.some((candidate) => operator.matches(candidate, value)));
      return operator.isNegated ? !isAnyMatch : isAnyMatch;
    });
  });
}
