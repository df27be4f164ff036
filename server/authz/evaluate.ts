/**
 * Policy evaluation, as in Huawei/AWS IAM: nothing is allowed unless a statement allows it, and a
 * matching Deny wins over every Allow whatever the order of statements and documents.
 * Actions match case-insensitively, resources case-sensitively. A statement without Resource applies
 * to every resource; a request without a resource (a list) is matched only by statements that apply
 * to every resource (no Resource, or "*").
 */
import { conditionsHold, type RequestContext } from "./conditions";
import type { PolicyDocument, PolicyStatement } from "./policy-schema";
import { matchesAllResources } from "./resources";
import { matchesWildcard } from "./wildcard";

export interface AuthorizationRequest {
  action: string;
  /** A resource name from resourceName(); omit for actions on no single resource (list, create). */
  resource?: string;
  context?: RequestContext;
}

export type Decision = "allow" | "explicit-deny" | "implicit-deny";

export interface MatchedStatement {
  documentIndex: number;
  statementIndex: number;
  sid?: string;
  statement: PolicyStatement;
}

export interface EvaluationResult {
  decision: Decision;
  /** The Deny that refused, or the first Allow that granted; absent for an implicit deny. */
  statement?: MatchedStatement;
}

function toList(value: string | readonly string[] | undefined): readonly string[] | undefined {
  return typeof value === "string" ? [value] : value;
}

export function statementMatchesAction(statement: PolicyStatement, action: string): boolean {
  return (toList(statement.Action) ?? []).some((pattern) => matchesWildcard(pattern, action, { ignoreCase: true }));
}

export function statementMatchesResource(statement: PolicyStatement, resource: string | undefined): boolean {
  const patterns = toList(statement.Resource);
  if (patterns === undefined) return true;
  if (resource === undefined) return patterns.some(matchesAllResources);
  return patterns.some((pattern) => matchesWildcard(pattern, resource));
}

export function statementApplies(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  return (
    statementMatchesAction(statement, request.action) &&
    statementMatchesResource(statement, request.resource) &&
    conditionsHold(statement.Condition, request.context, statement.Effect === "Deny")
  );
}

export function evaluatePolicies(
  documents: readonly PolicyDocument[],
  request: AuthorizationRequest,
): EvaluationResult {
  let allowedBy: MatchedStatement | undefined;
  for (const [documentIndex, document] of documents.entries()) {
    for (const [statementIndex, statement] of document.Statement.entries()) {
      if (!statementApplies(statement, request)) continue;
      const match: MatchedStatement = { documentIndex, statementIndex, statement };
      if (statement.Sid !== undefined) match.sid = statement.Sid;
      if (statement.Effect === "Deny") return { decision: "explicit-deny", statement: match };
      allowedBy ??= match;
    }
  }
  return allowedBy ? { decision: "allow", statement: allowedBy } : { decision: "implicit-deny" };
}

export function isAllowed(documents: readonly PolicyDocument[], request: AuthorizationRequest): boolean {
  return evaluatePolicies(documents, request).decision === "allow";
}
