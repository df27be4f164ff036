import fs from "node:fs";
import os from "node:os";
import type { TaskProgressRequest } from "../protocol/v1/tasks";

type CpuTimes = { busy: number; total: number };
type Sample = { at: number; cpu: CpuTimes | null; readBytes: number | null; agentCpuMicros: number };

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** The first line of /proc/stat: jiffies per state; idle and iowait are the idle part. */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  if (v.length < 4 || v.some((n) => !Number.isFinite(n))) return null;
  // guest and guest_nice (9th, 10th) are already counted in user and nice.
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** MemTotal and MemAvailable (kB) → bytes used (what is not available) and total. */
export function parseMeminfo(text: string): { usedBytes: number; totalBytes: number } | null {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const total = field("MemTotal");
  const available = field("MemAvailable") ?? field("MemFree");
  if (total === null || available === null) return null;
  return { usedBytes: Math.max(0, total - available), totalBytes: total };
}

/**
 * Bytes read, summed over whole disks only: /proc/diskstats lists partitions and stacked devices
 * (dm, md) too, whose reads also reach a disk, and counting those would count a read twice.
 * Sectors are 512 bytes here whatever the device's sector size.
 */
export function parseDiskstats(text: string, isWholeDisk: (name: string) => boolean): number {
  let sectors = 0;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const name = f[2]!;
    if (/^(ram|zram|loop|dm-|md)\d/.test(name) || !isWholeDisk(name)) continue;
    sectors += Number(f[5]) || 0;
  }
  return sectors * 512;
}

function isWholeDisk(name: string): boolean {
  // Whole disks have /sys/block/<name>; partitions have /sys/block/<disk>/<name> only.
  return fs.existsSync(`/sys/block/${name.replace(/\//g, "!")}`);
}

/**
 * The host's and this process's load between two calls, for task progress: CPU %, memory, disk
 * read rate from /proc, the agent's CPU % (all its threads) and RSS. Missing /proc (not Linux)
 * reads as zeros rather than failing a copy.
 */
export class HostMetrics {
  private last: Sample;

  constructor(private readonly procDir = "/proc") {
    this.last = this.sample();
  }

  private sample(): Sample {
    const stat = readText(`${this.procDir}/stat`);
    const disks = readText(`${this.procDir}/diskstats`);
    return {
      at: performance.now(),
      cpu: stat ? parseProcStat(stat) : null,
      readBytes: disks ? parseDiskstats(disks, isWholeDisk) : null,
      agentCpuMicros: (() => {
        const u = process.cpuUsage();
        return u.user + u.system;
      })(),
    };
  }

  read(): Pick<TaskProgressRequest, "host" | "agent"> {
    const now = this.sample();
    const before = this.last;
    this.last = now;
    const seconds = Math.max(0.001, (now.at - before.at) / 1000);
    let cpuPercent = 0;
    if (now.cpu && before.cpu && now.cpu.total > before.cpu.total) {
      cpuPercent = ((now.cpu.busy - before.cpu.busy) / (now.cpu.total - before.cpu.total)) * 100;
    }
    const memory = parseMeminfo(readText(`${this.procDir}/meminfo`) ?? "") ?? { usedBytes: os.totalmem() - os.freemem(), totalBytes: os.totalmem() };
    const readRate = now.readBytes !== null && before.readBytes !== null ? Math.max(0, now.readBytes - before.readBytes) / seconds : 0;
    const agentCpu = ((now.agentCpuMicros - before.agentCpuMicros) / 1e6 / seconds) * 100;
    return {
      host: {
        cpuPercent: clamp(cpuPercent, 0, 100),
        memoryUsedBytes: memory.usedBytes,
        memoryTotalBytes: memory.totalBytes,
        diskReadBytesPerSecond: Math.round(readRate),
      },
      agent: { cpuPercent: clamp(agentCpu, 0, 6400), rssBytes: process.memoryUsage.rss() },
    };
  }
}

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.round(n * 10) / 10)) : min;
}
