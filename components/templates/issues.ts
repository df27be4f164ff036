import type { z } from "zod";

/** Issues of a failed parse keyed by their dotted path ("settings.windows.0.start"), first message each. */
export type IssueMap = Record<string, string>;

export function issueMapOf(error: z.ZodError, skip: (path: string) => boolean = () => false): IssueMap {
  const map: IssueMap = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".");
    if (skip(path)) continue;
    map[path] ??= issue.message;
  }
  return map;
}

/** The issues below `prefix`, with the prefix taken off their paths. */
export function issuesUnder(map: IssueMap, prefix: string): IssueMap {
  const out: IssueMap = {};
  for (const [path, message] of Object.entries(map)) {
    if (path === prefix) out[""] ??= message;
    else if (path.startsWith(`${prefix}.`)) out[path.slice(prefix.length + 1)] ??= message;
  }
  return out;
}

/** The first message at `path` or below it. */
export function firstIssueAt(map: IssueMap, path: string): string | undefined {
  if (map[path]) return map[path];
  const key = Object.keys(map).find((k) => k.startsWith(`${path}.`));
  return key ? map[key] : undefined;
}
