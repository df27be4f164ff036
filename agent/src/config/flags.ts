import { UserError } from "../errors";

export type FlagSpec = Record<string, "string" | "boolean">;
export type ParsedFlags = Record<string, string | boolean | undefined>;

/** `--name value`, `--name=value` and boolean `--name`; anything else is refused with the usage. */
export function parseFlags(argv: string[], spec: FlagSpec, usage: string): ParsedFlags {
  const flags: ParsedFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") {
      flags.help = true;
      continue;
    }
    const match = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    const kind = name ? spec[name] : undefined;
    if (!match || !name || !kind) throw new UserError(`unknown option "${arg.split("=")[0]}".\n\n${usage}`, 2);
    if (kind === "boolean") {
      if (match[2] !== undefined) throw new UserError(`--${name} takes no value.\n\n${usage}`, 2);
      flags[name] = true;
      continue;
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined || (match[2] === undefined && value.startsWith("--"))) throw new UserError(`--${name} needs a value.\n\n${usage}`, 2);
    flags[name] = value;
  }
  return flags;
}

export const str = (value: string | boolean | undefined) => (typeof value === "string" ? value : undefined);
