/**
 * "What this allows": the catalogue actions one or more policies allow and deny, grouped by
 * service:resource for the console. A grant is "limited" when it applies only to some resources or
 * only under conditions (or is partly taken back by a limited Deny); "all" means everywhere, always.
 */
import { ACTION_ENTRIES, actionGroup, type Action, type ActionAccess } from "./actions";
import { statementMatchesAction } from "./evaluate";
import type { PolicyDocument, PolicyStatement } from "./policy-schema";
import { matchesAllResources } from "./resources";

export type Coverage = "all" | "limited";

export interface SummarizedAction {
  action: Action;
  description: string;
  access: ActionAccess;
  coverage: Coverage;
}

export interface ActionGroupSummary {
  /** "sms:server" */
  group: string;
  service: string;
  resource: string;
  allowed: SummarizedAction[];
  denied: SummarizedAction[];
}

export interface PolicySummary {
  groups: ActionGroupSummary[];
  allowedCount: number;
  deniedCount: number;
  /** Whether any allowed action, even a limited one, changes something. */
  allowsWrite: boolean;
}

function statementCoverage(statement: PolicyStatement): Coverage {
  const resources = typeof statement.Resource === "string" ? [statement.Resource] : statement.Resource;
  const isEverywhere = resources === undefined || resources.some(matchesAllResources);
  return isEverywhere && statement.Condition === undefined ? "all" : "limited";
}

function widest(current: Coverage | undefined, next: Coverage): Coverage {
  return current === "all" || next === "all" ? "all" : "limited";
}

export function summarizePolicies(documents: readonly PolicyDocument[]): PolicySummary {
  const statements = documents.flatMap((document) => document.Statement);
  const groups = new Map<string, ActionGroupSummary>();
  let allowedCount = 0;
  let deniedCount = 0;
  let allowsWrite = false;

  for (const entry of ACTION_ENTRIES) {
    let allow: Coverage | undefined;
    let deny: Coverage | undefined;
    for (const statement of statements) {
      if (!statementMatchesAction(statement, entry.action)) continue;
      if (statement.Effect === "Allow") allow = widest(allow, statementCoverage(statement));
      else deny = widest(deny, statementCoverage(statement));
    }
    const isAllowed = allow !== undefined && deny !== "all";
    if (!isAllowed && deny === undefined) continue;

    const name = actionGroup(entry.action);
    let group = groups.get(name);
    if (!group) {
      const [service = "", resource = ""] = name.split(":");
      group = { group: name, service, resource, allowed: [], denied: [] };
      groups.set(name, group);
    }
    const base = { action: entry.action, description: entry.description, access: entry.access };
    if (isAllowed) {
      group.allowed.push({ ...base, coverage: deny === undefined ? allow ?? "limited" : "limited" });
      allowedCount++;
      allowsWrite ||= entry.access === "write";
    }
    if (deny !== undefined) {
      group.denied.push({ ...base, coverage: deny });
      deniedCount++;
    }
  }
  return { groups: [...groups.values()], allowedCount, deniedCount, allowsWrite };
}

export function summarizePolicy(document: PolicyDocument): PolicySummary {
  return summarizePolicies([document]);
}
