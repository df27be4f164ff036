/**
 * Exclusion patterns, read as rsync reads them: "*.log" (no slash) matches a name at any depth,
 * "/var/cache" (leading slash) is anchored at the tree's root, "cache/tmp" (inner slash) matches
 * the end of a path, a trailing slash matches directories only. "*" and "?" stay within one
 * name, "**" crosses slashes, "[...]" is a character class.
 */
export type ExcludeMatcher = (relPath: string, isDir: boolean) => boolean;

function globToRegExpSource(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        out += ".*";
        i++;
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) out += "\\[";
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith("!")) cls = `^${cls.slice(1)}`;
        out += `[${cls.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return out;
}

export function compileExcludes(patterns: readonly string[]): ExcludeMatcher {
  const rules = patterns
    .filter((p) => p.trim() !== "")
    .map((raw) => {
      // Paths are latin1 strings of raw bytes; a UTF-8 pattern must be seen the same way.
      let p = Buffer.from(raw, "utf8").toString("latin1");
      const isDirOnly = p.endsWith("/");
      if (isDirOnly) p = p.replace(/\/+$/, "");
      const isAnchored = p.startsWith("/");
      if (isAnchored) p = p.replace(/^\/+/, "");
      const source = globToRegExpSource(p);
      const re = isAnchored ? new RegExp(`^${source}$`, "s") : p.includes("/") ? new RegExp(`(^|/)${source}$`, "s") : new RegExp(`^${source}$`, "s");
      const isBaseName = !isAnchored && !p.includes("/");
      return { re, isDirOnly, isBaseName };
    });
  if (rules.length === 0) return () => false;
  return (relPath, isDir) => {
    if (relPath === "") return false;
    const base = relPath.slice(relPath.lastIndexOf("/") + 1);
    for (const r of rules) {
      if (r.isDirOnly && !isDir) continue;
      if (r.re.test(r.isBaseName ? base : relPath)) return true;
    }
    return false;
  };
}
