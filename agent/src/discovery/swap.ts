import type { SourceReport } from "../protocol/v1/report";
import type { Host } from "./host";

type Swap = SourceReport["swap"][number];

/** /proc/swaps: "Filename Type Size Used Priority", sizes in KiB, names escaped like mountinfo. */
export function parseProcSwaps(text: string): Swap[] {
  return text
    .split("\n")
    .slice(1)
    .map((line) => /^(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(-?\d+)\s*$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([, file = "", type = "", size = "0", used = "0", priority = "0"]) => ({
      path: file.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
      type: type === "partition" || type === "file" ? type : "other",
      sizeBytes: Number(size) * 1024,
      usedBytes: Number(used) * 1024,
      priority: Number(priority),
    }));
}

export async function readSwap(host: Host, notes: string[]): Promise<Swap[]> {
  const text = await host.readText("/proc/swaps");
  if (text === null) {
    notes.push("could not read /proc/swaps");
    return [];
  }
  return parseProcSwaps(text);
}
