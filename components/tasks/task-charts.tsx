"use client";

import { Area, AreaChart, Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatBytes } from "@/components/servers/format";
import { ChartFrame } from "@/components/ui/chart-frame";
import { formatDuration, formatRate } from "./format";
import type { TaskSample } from "./types";

const MiB = 1024 * 1024;
const AXIS = { fontSize: 11, fill: "#64748b" };
const COLORS = { brand: "#2563eb", green: "#16a34a", amber: "#d97706", violet: "#7c3aed", slate: "#475569" };
const NO_SAMPLES = "No samples yet";

function clock(at: Date | string): string {
  return new Date(at).toLocaleTimeString("sv-SE", { hour12: false });
}

/** A no-break space keeps "4 MiB/s" on one line in the axis' narrow column. */
const axisUnit = (unit: string) => unit.replace(" ", "\u00a0");

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

type Point = {
  time: string;
  rateMiB: number;
  percent: number;
  compression: number;
  minutesLeft: number | null;
  hostCpu: number | null;
  hostMemory: number | null;
  hostReadMiB: number | null;
  agentCpu: number | null;
  agentRssMiB: number | null;
};

function pointsOf(samples: TaskSample[]): Point[] {
  return samples.map((s) => {
    const host = s.host as { cpuPercent?: number; memoryUsedBytes?: number; memoryTotalBytes?: number; diskReadBytesPerSecond?: number } | null;
    const agent = s.agent as { cpuPercent?: number; rssBytes?: number } | null;
    return {
      time: clock(s.at),
      rateMiB: round(s.rateBytesPerSecond / MiB),
      percent: s.bytesTotal > 0 ? round((s.bytesDone / s.bytesTotal) * 100) : 0,
      compression: round(s.compressionRatio, 2),
      minutesLeft: s.rateBytesPerSecond > 0 ? round((s.bytesTotal - s.bytesDone) / s.rateBytesPerSecond / 60) : null,
      hostCpu: host?.cpuPercent !== undefined ? round(host.cpuPercent) : null,
      hostMemory: host?.memoryUsedBytes !== undefined && host.memoryTotalBytes ? round((host.memoryUsedBytes / host.memoryTotalBytes) * 100) : null,
      hostReadMiB: host?.diskReadBytesPerSecond !== undefined ? round(host.diskReadBytesPerSecond / MiB) : null,
      agentCpu: agent?.cpuPercent !== undefined ? round(agent.cpuPercent) : null,
      agentRssMiB: agent?.rssBytes !== undefined ? round(agent.rssBytes / MiB) : null,
    };
  });
}

function TimeChart({ data, lines, unit, domain }: { data: Point[]; lines: { key: keyof Point; name: string; color: string }[]; unit: string; domain?: [number, number] }) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" />
        <XAxis dataKey="time" tick={AXIS} minTickGap={40} />
        <YAxis tick={AXIS} width={unit.length > 3 ? 64 : 48} unit={axisUnit(unit)} domain={domain ?? [0, "auto"]} />
        <Tooltip formatter={(value) => `${value}${unit}`} />
        {lines.map((l) => (
          <Line key={l.key} type="monotone" dataKey={l.key} name={l.name} stroke={l.color} dot={false} strokeWidth={2} isAnimationActive={false} connectNulls />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}

/** The live charts of a task's current pass; each shows a placeholder until the agents report. */
export function TaskCharts({ samples, secondsLeft, progressPercent }: { samples: TaskSample[]; secondsLeft: number | null; progressPercent: number }) {
  const data = pointsOf(samples);
  const last = samples.at(-1);
  const lastPoint = data.at(-1);
  const isEmpty = data.length === 0;
  const disks = (last?.disks ?? []).map((d) => ({ name: d.name, percent: d.bytesTotal > 0 ? round((d.bytesDone / d.bytesTotal) * 100) : 0, done: d.bytesDone, total: d.bytesTotal }));
  const hasHost = data.some((p) => p.hostCpu !== null || p.hostMemory !== null);
  const hasAgent = data.some((p) => p.agentCpu !== null || p.agentRssMiB !== null);

  return (
    <div className="grid gap-4 lg:grid-cols-2" data-testid="task-charts">
      <ChartFrame title="Throughput" isEmpty={isEmpty} emptyText={NO_SAMPLES} summary={last ? formatRate(last.rateBytesPerSecond, true) : undefined}>
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" />
            <XAxis dataKey="time" tick={AXIS} minTickGap={40} />
            <YAxis tick={AXIS} width={64} unit={axisUnit(" MiB/s")} domain={[0, "auto"]} />
            <Tooltip formatter={(value) => `${value} MiB/s`} />
            <Area type="monotone" dataKey="rateMiB" name="Rate" stroke={COLORS.brand} fill={COLORS.brand} fillOpacity={0.15} isAnimationActive={false} />
          </AreaChart>
        </ResponsiveContainer>
      </ChartFrame>
      <ChartFrame title="Overall progress" isEmpty={isEmpty} emptyText={NO_SAMPLES} summary={`${progressPercent}%${last ? ` · ${formatBytes(last.bytesDone)} of ${formatBytes(last.bytesTotal)}` : ""}`}>
        <TimeChart data={data} lines={[{ key: "percent", name: "Progress", color: COLORS.green }]} unit="%" domain={[0, 100]} />
      </ChartFrame>
      <ChartFrame title="Progress per disk" isEmpty={disks.length === 0} emptyText={isEmpty ? NO_SAMPLES : "This pass reports no disks (file level)."}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={disks} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
            <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" horizontal={false} />
            <XAxis type="number" domain={[0, 100]} tick={AXIS} unit="%" />
            <YAxis type="category" dataKey="name" tick={AXIS} width={72} />
            <Tooltip formatter={(value) => `${value}%`} />
            <Bar dataKey="percent" name="Copied" fill={COLORS.brand} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </ChartFrame>
      <ChartFrame title="Time left" isEmpty={isEmpty} emptyText={NO_SAMPLES} summary={formatDuration(secondsLeft)}>
        <TimeChart data={data} lines={[{ key: "minutesLeft", name: "Time left", color: COLORS.amber }]} unit=" min" />
      </ChartFrame>
      <ChartFrame title="Compression ratio" isEmpty={isEmpty} emptyText={NO_SAMPLES} summary={lastPoint ? `${lastPoint.compression.toFixed(2)} : 1` : undefined}>
        <TimeChart data={data} lines={[{ key: "compression", name: "Bytes copied per byte sent", color: COLORS.violet }]} unit="×" />
      </ChartFrame>
      <ChartFrame
        title="Source host: CPU and memory"
        isEmpty={!hasHost}
        emptyText={isEmpty ? NO_SAMPLES : "The source agent reports no host figures."}
        summary={lastPoint && lastPoint.hostCpu !== null ? `CPU ${lastPoint.hostCpu}% · memory ${lastPoint.hostMemory ?? "—"}%` : undefined}
      >
        <TimeChart
          data={data}
          lines={[
            { key: "hostCpu", name: "CPU", color: COLORS.brand },
            { key: "hostMemory", name: "Memory used", color: COLORS.green },
          ]}
          unit="%"
          domain={[0, 100]}
        />
      </ChartFrame>
      <ChartFrame title="Source host: disk reads" isEmpty={!hasHost} emptyText={isEmpty ? NO_SAMPLES : "The source agent reports no host figures."} summary={lastPoint?.hostReadMiB != null ? `${lastPoint.hostReadMiB} MiB/s` : undefined}>
        <TimeChart data={data} lines={[{ key: "hostReadMiB", name: "Disk reads", color: COLORS.slate }]} unit=" MiB/s" />
      </ChartFrame>
      <ChartFrame
        title="Agent: CPU and memory"
        isEmpty={!hasAgent}
        emptyText={isEmpty ? NO_SAMPLES : "The source agent reports no figures of its own."}
        summary={lastPoint && lastPoint.agentCpu !== null ? `CPU ${lastPoint.agentCpu}% · RSS ${lastPoint.agentRssMiB ?? "—"} MiB` : undefined}
      >
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" />
            <XAxis dataKey="time" tick={AXIS} minTickGap={40} />
            <YAxis yAxisId="cpu" tick={AXIS} width={44} unit="%" domain={[0, "auto"]} />
            <YAxis yAxisId="rss" orientation="right" tick={AXIS} width={60} unit={axisUnit(" MiB")} domain={[0, "auto"]} />
            <Tooltip />
            <Line yAxisId="cpu" type="monotone" dataKey="agentCpu" name="CPU %" stroke={COLORS.brand} dot={false} strokeWidth={2} isAnimationActive={false} connectNulls />
            <Line yAxisId="rss" type="monotone" dataKey="agentRssMiB" name="RSS MiB" stroke={COLORS.amber} dot={false} strokeWidth={2} isAnimationActive={false} connectNulls />
          </LineChart>
        </ResponsiveContainer>
      </ChartFrame>
    </div>
  );
}
