/**
 * IAM wildcard matching: `*` matches any run of characters (including ":"), `?` exactly one
 * character (one code point), everything else literally. No regular expressions are built, so a
 * pattern's "." or "(" can never mean anything special, and matching stays linear-ish (no ReDoS).
 */
export interface WildcardOptions {
  ignoreCase?: boolean;
}

export function hasWildcard(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

export function matchesWildcard(pattern: string, value: string, options: WildcardOptions = {}): boolean {
  const p = Array.from(options.ignoreCase ? pattern.toLowerCase() : pattern);
  const v = Array.from(options.ignoreCase ? value.toLowerCase() : value);
  let pi = 0;
  let vi = 0;
  // Position of the last "*" seen and the value index it was tried against, for backtracking.
  let starPi = -1;
  let starVi = 0;
  while (vi < v.length) {
    const char = p[pi];
    if (char === "*") {
      starPi = pi++;
      starVi = vi;
    } else if (char !== undefined && (char === "?" || char === v[vi])) {
      pi++;
      vi++;
    } else if (starPi >= 0) {
      pi = starPi + 1;
      vi = ++starVi;
    } else {
      return false;
    }
  }
  while (p[pi] === "*") pi++;
  return pi === p.length;
}
