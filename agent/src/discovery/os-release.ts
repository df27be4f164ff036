import type { SourceReport } from "../protocol/v1/report";
import type { Host } from "./host";

export type OsInfo = SourceReport["os"];

/** Parses os-release(5): KEY=value lines, values optionally quoted with shell escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (!line || line.startsWith("#")) continue;
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match) continue;
    const [, key, rawValue] = match;
    if (!key || rawValue === undefined) continue;
    fields[key] = unquote(rawValue);
  }
  return fields;
}

function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
    const inner = value.slice(1, -1);
    return quote === '"' ? inner.replace(/\\(["\\$`])/g, "$1") : inner;
  }
  return value;
}

/**
 * Old releases without os-release (CentOS/RHEL 6, SLES 11, Debian 6) only have their own
 * release files; read the name and version from those rather than leave the OS unknown.
 */
export function parseLegacyRelease(file: string, text: string): OsInfo | null {
  const firstLine = text.split("\n")[0]?.trim() ?? "";
  if (!firstLine) return null;
  if (file === "/etc/redhat-release") {
    const match = /^(.*?)\s+(?:Linux\s+)?release\s+([\d.]+)/i.exec(firstLine);
    const name = match?.[1]?.trim() ?? firstLine;
    const version = match?.[2] ?? null;
    const id = /centos/i.test(name) ? "centos" : /red hat/i.test(name) ? "rhel" : /oracle/i.test(name) ? "ol" : null;
    return { family: "linux", name, version, id, versionId: version, prettyName: firstLine };
  }
  if (file === "/etc/SuSE-release") {
    const version = /^VERSION\s*=\s*(\d+)/m.exec(text)?.[1] ?? null;
    const patch = /^PATCHLEVEL\s*=\s*(\d+)/m.exec(text)?.[1] ?? null;
    const versionId = version ? (patch && patch !== "0" ? `${version}.${patch}` : version) : null;
    const id = /enterprise server/i.test(firstLine) ? "sles" : /opensuse/i.test(firstLine) ? "opensuse" : null;
    return { family: "linux", name: firstLine.replace(/\s*\(.*\)$/, ""), version: versionId, id, versionId, prettyName: firstLine };
  }
  if (file === "/etc/debian_version") {
    return { family: "linux", name: "Debian GNU/Linux", version: firstLine, id: "debian", versionId: firstLine, prettyName: `Debian GNU/Linux ${firstLine}` };
  }
  return null;
}

const LEGACY_RELEASE_FILES = ["/etc/redhat-release", "/etc/SuSE-release", "/etc/debian_version"];

export async function readOs(host: Host, notes: string[]): Promise<OsInfo> {
  for (const file of ["/etc/os-release", "/usr/lib/os-release"]) {
    const text = await host.readText(file);
    if (text === null) continue;
    const fields = parseOsRelease(text);
    return {
      family: "linux",
      name: fields.NAME ?? null,
      version: fields.VERSION ?? null,
      id: fields.ID ?? null,
      versionId: fields.VERSION_ID ?? null,
      prettyName: fields.PRETTY_NAME ?? null,
    };
  }
  for (const file of LEGACY_RELEASE_FILES) {
    const text = await host.readText(file);
    const legacy = text === null ? null : parseLegacyRelease(file, text);
    if (legacy) {
      notes.push(`/etc/os-release is missing; the OS was read from ${file}`);
      return legacy;
    }
  }
  notes.push("could not tell the Linux distribution: no /etc/os-release or release file");
  return { family: "linux", name: null, version: null, id: null, versionId: null, prettyName: null };
}
