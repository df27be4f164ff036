import type { SourceReport } from "../protocol/v1/report";
import type { Host } from "./host";

type MdArray = SourceReport["mdRaid"][number];

/**
 * Parses /proc/mdstat:
 *   md0 : active raid1 sdb1[1] sda1[0]
 *         1046528 blocks super 1.2 [2/2] [UU]
 * Sizes are in 1 KiB blocks. An inactive array has no level.
 */
export function parseMdstat(text: string): MdArray[] {
  const arrays: MdArray[] = [];
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const match = /^(md\S*)\s*:\s*(active|inactive)\s*(.*)$/.exec(line);
    if (!match?.[1] || !match[2]) return;
    const words = (match[3] ?? "").split(/\s+/).filter(Boolean);
    const options = new Set(["(read-only)", "(auto-read-only)"]);
    const rest = words.filter((w) => !options.has(w));
    const level = match[2] === "active" && rest[0] && !rest[0].includes("[") ? rest[0] : null;
    const devices = rest.filter((w) => w.includes("[")).map((w) => w.replace(/\[\d+\].*$/, ""));
    const blocks = /^\s+(\d+)\s+blocks/.exec(lines[index + 1] ?? "")?.[1];
    arrays.push({
      name: match[1],
      level,
      state: match[2] === "active" ? "active" : "inactive",
      devices,
      sizeBytes: blocks ? Number(blocks) * 1024 : null,
    });
  });
  return arrays;
}

export async function readMdRaid(host: Host): Promise<MdArray[]> {
  // No /proc/mdstat means the md driver is not loaded, so there are no arrays.
  const text = await host.readText("/proc/mdstat");
  return text === null ? [] : parseMdstat(text);
}
