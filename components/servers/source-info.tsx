import type { SourceReport } from "@/agent/src/protocol/v1/report";
import { DataTable, Td, Th } from "./data-table";
import { formatBytes, formatDateTime } from "./format";

function UsageBar({ used, free }: { used: number | null; free: number | null }) {
  if (used === null || free === null || used + free === 0) return <span className="text-slate-400">—</span>;
  const percent = Math.round((used / (used + free)) * 100);
  return (
    <span className="flex items-center gap-2" title={`${formatBytes(used)} used, ${formatBytes(free)} free`}>
      <span className="h-2 w-24 overflow-hidden rounded bg-slate-200" role="meter" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100} aria-label="Used space">
        <span className={`block h-full ${percent > 90 ? "bg-red-500" : "bg-brand-600"}`} style={{ width: `${percent}%` }} />
      </span>
      <span className="text-xs whitespace-nowrap text-slate-600">
        {formatBytes(used)} / {formatBytes(used + free)}
      </span>
    </span>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="space-y-2">
      <h3 className="text-sm font-semibold text-slate-900">{title}</h3>
      {children}
    </section>
  );
}

const dash = (value: string | number | null | undefined) => (value === null || value === undefined || value === "" ? "—" : String(value));

export function SourceInfo({ report }: { report: SourceReport }) {
  const overview: [string, string][] = [
    ["Host name", report.hostname],
    ["Operating system", dash(report.os.prettyName ?? report.os.name)],
    ["Kernel", dash(report.kernel)],
    ["glibc", dash(report.glibc)],
    ["Architecture", dash(report.arch)],
    ["Firmware", report.firmware ? report.firmware.toUpperCase() : "—"],
    ["CPUs", `${dash(report.cpu.count)}${report.cpu.model ? ` × ${report.cpu.model}` : ""}`],
    ["Memory", formatBytes(report.memoryBytes)],
    ["Free on /", formatBytes(report.rootFreeBytes)],
    ["Boot loader", report.bootLoader ? `${report.bootLoader.kind} (${report.bootLoader.configPath})` : "—"],
    ["rsync / tc", `${report.tools.rsync ? "installed" : "missing"} / ${report.tools.tc ? "installed" : "missing"}`],
    ["Agent version", report.agentVersion],
    ["Reported", formatDateTime(report.collectedAt)],
  ];
  return (
    <div className="space-y-6">
      <Section title="Overview">
        <dl className="grid grid-cols-1 gap-x-6 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-2 lg:grid-cols-3">
          {overview.map(([label, value]) => (
            <div key={label}>
              <dt className="text-xs font-medium text-slate-500">{label}</dt>
              <dd className="text-slate-900">{value}</dd>
            </div>
          ))}
        </dl>
      </Section>

      <Section title="Disks and partitions">
        <DataTable
          label="Disks and partitions"
          head={
            <>
              <Th>Device</Th>
              <Th>Size</Th>
              <Th>Table</Th>
              <Th>File system</Th>
              <Th>Mount point</Th>
              <Th>Used</Th>
              <Th>UUID / label</Th>
            </>
          }
        >
          {report.disks.flatMap((disk) => [
            <tr key={disk.path} className="bg-slate-50/60">
              <Td className="font-medium">
                {disk.path}
                {disk.isSystemDisk ? <span className="ml-2 text-xs text-slate-500">system disk</span> : null}
              </Td>
              <Td>{formatBytes(disk.sizeBytes)}</Td>
              <Td>{disk.partitionStyle ? disk.partitionStyle.toUpperCase() : "—"}</Td>
              <Td>{dash(disk.fsType)}</Td>
              <Td>{dash(disk.mountPoint)}</Td>
              <Td>
                <UsageBar used={disk.usedBytes} free={disk.freeBytes} />
              </Td>
              <Td className="font-mono text-xs">{[disk.uuid, disk.label].filter(Boolean).join(" / ") || "—"}</Td>
            </tr>,
            ...disk.partitions.map((part) => (
              <tr key={part.path}>
                <Td className="pl-8">{part.path}</Td>
                <Td>{formatBytes(part.sizeBytes)}</Td>
                <Td>{part.number ? `#${part.number}` : ""}</Td>
                <Td>{dash(part.fsType)}</Td>
                <Td>{dash(part.mountPoint)}</Td>
                <Td>
                  <UsageBar used={part.usedBytes} free={part.freeBytes} />
                </Td>
                <Td className="font-mono text-xs">{[part.uuid, part.label].filter(Boolean).join(" / ") || "—"}</Td>
              </tr>
            )),
          ])}
        </DataTable>
      </Section>

      {report.lvm && report.lvm.logicalVolumes.length ? (
        <Section title="LVM logical volumes">
          <DataTable label="LVM logical volumes" head={<><Th>Volume</Th><Th>Size</Th><Th>File system</Th><Th>Mount point</Th><Th>Used</Th><Th>Thin</Th></>}>
            {report.lvm.logicalVolumes.map((lv) => (
              <tr key={`${lv.vg}/${lv.name}`}>
                <Td>{lv.vg}/{lv.name}</Td>
                <Td>{formatBytes(lv.sizeBytes)}</Td>
                <Td>{dash(lv.fsType)}</Td>
                <Td>{dash(lv.mountPoint)}</Td>
                <Td><UsageBar used={lv.usedBytes} free={lv.freeBytes} /></Td>
                <Td>{lv.isThin ? "yes" : "no"}</Td>
              </tr>
            ))}
          </DataTable>
        </Section>
      ) : null}

      {report.mdRaid.length ? (
        <Section title="Software RAID (md)">
          <DataTable label="Software RAID" head={<><Th>Array</Th><Th>Level</Th><Th>State</Th><Th>Devices</Th><Th>Size</Th></>}>
            {report.mdRaid.map((md) => (
              <tr key={md.name}>
                <Td>{md.name}</Td>
                <Td>{dash(md.level)}</Td>
                <Td>{md.state}</Td>
                <Td>{md.devices.join(", ")}</Td>
                <Td>{formatBytes(md.sizeBytes)}</Td>
              </tr>
            ))}
          </DataTable>
        </Section>
      ) : null}

      {report.swap.length ? (
        <Section title="Swap">
          <DataTable label="Swap" head={<><Th>Path</Th><Th>Type</Th><Th>Size</Th><Th>Used</Th></>}>
            {report.swap.map((s) => (
              <tr key={s.path}>
                <Td>{s.path}</Td>
                <Td>{s.type}</Td>
                <Td>{formatBytes(s.sizeBytes)}</Td>
                <Td>{formatBytes(s.usedBytes)}</Td>
              </tr>
            ))}
          </DataTable>
        </Section>
      ) : null}

      <Section title="Network">
        <DataTable label="Network interfaces" head={<><Th>Interface</Th><Th>MAC</Th><Th>Addresses</Th><Th>Gateway</Th><Th>MTU</Th></>}>
          {report.network.map((nic) => (
            <tr key={nic.name}>
              <Td>{nic.name}</Td>
              <Td className="font-mono text-xs">{dash(nic.mac)}</Td>
              <Td className="font-mono text-xs">{nic.addresses.map((a) => `${a.address}/${a.prefix}`).join(", ") || "—"}</Td>
              <Td className="font-mono text-xs">{[nic.gateway, nic.gateway6].filter(Boolean).join(", ") || "—"}</Td>
              <Td>{dash(nic.mtu)}</Td>
            </tr>
          ))}
        </DataTable>
      </Section>

      {report.sharedMounts.length ? (
        <Section title="Shared file systems (not migrated)">
          <DataTable label="Shared file systems" head={<><Th>Mount point</Th><Th>Type</Th><Th>Source</Th></>}>
            {report.sharedMounts.map((m) => (
              <tr key={m.mountPoint}>
                <Td>{m.mountPoint}</Td>
                <Td>{m.fsType}</Td>
                <Td className="font-mono text-xs">{m.source}</Td>
              </tr>
            ))}
          </DataTable>
        </Section>
      ) : null}

      {report.notes.length ? (
        <Section title="Notes from the agent">
          <ul className="list-disc space-y-1 pl-5 text-sm text-slate-700">
            {report.notes.map((note, i) => (
              <li key={i}>{note}</li>
            ))}
          </ul>
        </Section>
      ) : null}
    </div>
  );
}
