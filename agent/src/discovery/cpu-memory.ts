import type { Host } from "./host";

export type CpuInfo = { count: number | null; model: string | null };

export function parseCpuinfo(text: string): CpuInfo {
  const processors = text.split("\n").filter((line) => /^processor\s*:/.test(line)).length;
  // x86 says "model name"; arm64 and others say "Processor", "cpu model" or "Hardware".
  const model =
    /^(?:model name|cpu model|Processor|Hardware)\s*:\s*(.+)$/m.exec(text)?.[1]?.trim().replace(/\s+/g, " ") ?? null;
  return { count: processors > 0 ? processors : null, model: model || null };
}

/** MemTotal is reported in KiB. */
export function parseMemTotalBytes(text: string): number | null {
  const kib = /^MemTotal:\s+(\d+)\s*kB/m.exec(text)?.[1];
  return kib ? Number(kib) * 1024 : null;
}

export async function readCpu(host: Host, notes: string[]): Promise<CpuInfo> {
  const text = await host.readText("/proc/cpuinfo");
  const parsed = text === null ? { count: null, model: null } : parseCpuinfo(text);
  if (parsed.count === null || parsed.model === null) {
    const cpus = host.cpus();
    if (parsed.count === null && cpus.length > 0) parsed.count = cpus.length;
    if (parsed.model === null && cpus[0]?.model) parsed.model = cpus[0].model.trim() || null;
  }
  if (parsed.count === null) notes.push("could not count the CPUs: /proc/cpuinfo is not readable");
  return parsed;
}

export async function readMemoryBytes(host: Host, notes: string[]): Promise<number | null> {
  const text = await host.readText("/proc/meminfo");
  const total = text === null ? null : parseMemTotalBytes(text);
  if (total === null) notes.push("could not read the memory size from /proc/meminfo");
  return total;
}
