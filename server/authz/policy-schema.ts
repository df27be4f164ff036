/**
 * The policy document grammar shared by Huawei IAM and AWS IAM, and its validation:
 * `{ Version, Statement: [{ Sid?, Effect, Action, Resource?, Condition? }] }`.
 * Validation is strict so that a typo is an error rather than a policy that silently grants or
 * fails to deny: unknown fields, operators and condition keys are refused, and every action pattern
 * must match at least one catalogue action.
 */
import { z } from "zod";
import { matchingActions } from "./actions";
import { findConditionKey } from "./condition-keys";
import { CONDITION_OPERATORS, CONDITION_OPERATOR_NAMES, conditionValueError, isConditionOperator } from "./conditions";
import { resourcePatternError } from "./resources";

export const POLICY_VERSIONS = ["1.1", "2012-10-17"] as const;
export const MAX_STATEMENTS = 100;
/** Limit on the document's compact JSON (whitespace not counted), as in Huawei IAM. */
export const MAX_POLICY_CHARS = 6144;
/** Limit on raw JSON text before parsing, so huge inputs are refused cheaply. */
export const MAX_POLICY_INPUT_CHARS = 65_536;
const MAX_PATTERN_CHARS = 256;
const MAX_CONDITION_VALUE_CHARS = 1024;

const ACTION_PATTERN = /^[A-Za-z0-9*?]+(:[A-Za-z0-9*?]+){0,2}$/;
const SID_PATTERN = /^[A-Za-z0-9]{1,64}$/;

type ErrorFactory = (issue: { input: unknown }) => string;

function requiredOr(field: string, message: string): ErrorFactory {
  return (issue) => (issue.input === undefined ? `${field} is required` : message);
}

function stringOrList(field: string, item: z.ZodString) {
  return z.union([item, z.array(item).min(1, `${field} must not be an empty array`)], {
    error: requiredOr(field, `${field} must be a string or a non-empty array of strings`),
  });
}

const actionPatternSchema = z
  .string({ error: "Each Action must be a string" })
  .max(MAX_PATTERN_CHARS, `Action patterns are at most ${MAX_PATTERN_CHARS} characters`)
  .superRefine((value, ctx) => {
    if (!ACTION_PATTERN.test(value)) {
      ctx.addIssue({
        code: "custom",
        message: `"${value}" is not an action pattern "service:resource:verb" (letters, digits and the wildcards * and ?)`,
      });
    } else if (matchingActions(value).length === 0) {
      ctx.addIssue({ code: "custom", message: `"${value}" matches no known action` });
    }
  });

const resourcePatternSchema = z
  .string({ error: "Each Resource must be a string" })
  .max(MAX_PATTERN_CHARS, `Resource patterns are at most ${MAX_PATTERN_CHARS} characters`)
  .superRefine((value, ctx) => {
    const error = resourcePatternError(value);
    if (error) ctx.addIssue({ code: "custom", message: `Resource "${value}" is invalid: ${error}` });
  });

const conditionValueSchema = z
  .string({ error: "Condition values must be strings" })
  .max(MAX_CONDITION_VALUE_CHARS, `Condition values are at most ${MAX_CONDITION_VALUE_CHARS} characters`);

const conditionSchema = z
  .record(
    z.string(),
    z.record(z.string(), stringOrList("A condition value", conditionValueSchema), {
      error: "Each condition operator must map condition keys to values",
    }),
    { error: "Condition must be an object of operators" },
  )
  .superRefine(checkConditionSemantics, { when: isObjectPayload });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Refinements below also run when a nested value failed its type check, so that every error is
// reported at once; they therefore re-check the shapes they rely on.
function isObjectPayload(payload: { value: unknown }): boolean {
  return isPlainObject(payload.value);
}

function checkConditionSemantics(condition: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  const operators = Object.entries(condition);
  if (operators.length === 0) ctx.addIssue({ code: "custom", message: "Condition must not be empty" });
  for (const [operatorName, keys] of operators) {
    if (!isConditionOperator(operatorName)) {
      ctx.addIssue({
        code: "custom",
        path: [operatorName],
        message: `Unknown condition operator "${operatorName}" (supported: ${CONDITION_OPERATOR_NAMES.join(", ")})`,
      });
      continue;
    }
    if (!isPlainObject(keys)) continue;
    const operator = CONDITION_OPERATORS[operatorName];
    const entries = Object.entries(keys);
    if (entries.length === 0) {
      ctx.addIssue({ code: "custom", path: [operatorName], message: `${operatorName} must name at least one key` });
    }
    for (const [keyName, value] of entries) {
      const key = findConditionKey(keyName);
      if (!key) {
        ctx.addIssue({ code: "custom", path: [operatorName, keyName], message: `Unknown condition key "${keyName}"` });
        continue;
      }
      if (key.type !== operator.keyType) {
        ctx.addIssue({
          code: "custom",
          path: [operatorName, keyName],
          message: `${operatorName} cannot test ${key.key}, which holds a${key.type === "ip" ? "n" : ""} ${key.type} value`,
        });
        continue;
      }
      const values: unknown[] = Array.isArray(value) ? value : [value];
      values.forEach((item, index) => {
        const error = typeof item === "string" ? conditionValueError(key.type, item) : null;
        if (error) {
          const path = Array.isArray(value) ? [operatorName, keyName, index] : [operatorName, keyName];
          ctx.addIssue({ code: "custom", path, message: error });
        }
      });
    }
  }
}

function checkUniqueSids(document: { Statement: unknown }, ctx: z.core.$RefinementCtx): void {
  if (!Array.isArray(document.Statement)) return;
  const seen = new Set<string>();
  document.Statement.forEach((statement: unknown, index) => {
    if (!isPlainObject(statement) || typeof statement.Sid !== "string") return;
    if (seen.has(statement.Sid)) {
      ctx.addIssue({ code: "custom", path: ["Statement", index, "Sid"], message: `Sid "${statement.Sid}" is used twice` });
    }
    seen.add(statement.Sid);
  });
}

export const policyStatementSchema = z.strictObject(
  {
    Sid: z
      .string({ error: "Sid must be a string" })
      .regex(SID_PATTERN, "Sid must be 1-64 letters or digits")
      .optional(),
    Effect: z.enum(["Allow", "Deny"], { error: requiredOr("Effect", 'Effect must be "Allow" or "Deny"') }),
    Action: stringOrList("Action", actionPatternSchema),
    Resource: stringOrList("Resource", resourcePatternSchema).optional(),
    Condition: conditionSchema.optional(),
  },
  { error: "Each statement must be an object" },
);

export const policyDocumentSchema = z
  .strictObject(
    {
      Version: z.enum(POLICY_VERSIONS, {
        error: requiredOr("Version", `Version must be ${POLICY_VERSIONS.map((v) => `"${v}"`).join(" or ")}`),
      }),
      Statement: z
        .array(policyStatementSchema, { error: requiredOr("Statement", "Statement must be an array of statements") })
        .min(1, "Statement must contain at least one statement")
        .max(MAX_STATEMENTS, `A policy may have at most ${MAX_STATEMENTS} statements`),
    },
    { error: 'Policy must be a JSON object with "Version" and "Statement"' },
  )
  .superRefine(checkUniqueSids, { when: isObjectPayload });

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type PolicyStatement = z.infer<typeof policyStatementSchema>;
export type PolicyEffect = PolicyStatement["Effect"];

export interface PolicyError {
  /** Where the problem is, e.g. `Statement[1].Action[0]`; "" for the document as a whole. */
  path: string;
  message: string;
}

export type ParsePolicyResult = { ok: true; document: PolicyDocument } | { ok: false; errors: PolicyError[] };

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      const name = String(segment);
      if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) return index === 0 ? name : `.${name}`;
      return `[${JSON.stringify(name)}]`;
    })
    .join("");
}

function collectErrors(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[], out: PolicyError[]): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union") {
      // Report the branch whose type fitted (e.g. the array branch's per-element errors), if any.
      const fitting = issue.errors.filter(
        (branch) => !branch.some((inner) => inner.code === "invalid_type" && inner.path.length === 0),
      );
      const [branch] = fitting;
      if (fitting.length === 1 && branch) collectErrors(branch, path, out);
      else out.push({ path: formatPath(path), message: issue.message });
    } else if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({ path: formatPath([...path, key]), message: `Unknown field "${key}"` });
      }
    } else {
      out.push({ path: formatPath(path), message: issue.message });
    }
  }
}

function describeJsonError(text: string, error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  // V8 quotes the input in some messages; keep only the explanation.
  const explanation = raw.replace(/, (\.\.\.)?".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "");
  const position = /at position (\d+)/.exec(raw)?.[1];
  if (position === undefined) return `Invalid JSON: ${explanation}`;
  const before = text.slice(0, Number(position));
  const line = before.split("\n").length;
  const column = Number(position) - before.lastIndexOf("\n");
  return `Invalid JSON: ${explanation} (line ${line}, column ${column})`;
}

function failure(message: string, path = ""): ParsePolicyResult {
  return { ok: false, errors: [{ path, message }] };
}

/** Validates a policy given as a parsed value or as JSON text. */
export function parsePolicyDocument(input: unknown): ParsePolicyResult {
  let value = input;
  if (typeof input === "string") {
    if (input.trim() === "") return failure("Policy is empty");
    if (input.length > MAX_POLICY_INPUT_CHARS) {
      return failure(`Policy text is ${input.length} characters long; the limit is ${MAX_POLICY_INPUT_CHARS}`);
    }
    try {
      value = JSON.parse(input);
    } catch (error) {
      return failure(describeJsonError(input, error));
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return failure('Policy must be a JSON object with "Version" and "Statement"');
  }
  let compact: string;
  try {
    compact = JSON.stringify(value);
  } catch {
    return failure("Policy must be plain JSON data");
  }
  if (compact.length > MAX_POLICY_CHARS) {
    return failure(
      `Policy is ${compact.length} characters long without whitespace; the limit is ${MAX_POLICY_CHARS}`,
    );
  }
  const parsed = policyDocumentSchema.safeParse(value);
  if (parsed.success) return { ok: true, document: parsed.data };
  const errors: PolicyError[] = [];
  collectErrors(parsed.error.issues, [], errors);
  return { ok: false, errors };
}
