import type { Host } from "./host";

/** One block device as lsblk or sysfs describe it, flattened: children point to their parents. */
export type BlockDevice = {
  kname: string;
  /** lsblk's NAME: the device-mapper name for LVs ("centos-root"), else the kernel name. */
  name: string;
  path: string;
  /** lsblk TYPE: "disk", "part", "lvm", "raid1", "crypt", "loop", "rom", "dm" ... */
  type: string;
  majMin: string | null;
  sizeBytes: number;
  startBytes: number | null;
  partitionNumber: number | null;
  /** Kernel names of the devices this one is built on (partition → disk, LV → PVs). */
  parents: string[];
  fsType: string | null;
  uuid: string | null;
  label: string | null;
  /** Partition table type as lsblk or blkid call it: "dos", "gpt". */
  ptType: string | null;
};

const SECTOR_BYTES = 512;
const LSBLK_COLUMNS = "NAME,KNAME,PATH,MAJ:MIN,TYPE,SIZE,START,FSTYPE,UUID,LABEL,PTTYPE";
// lsblk before 2.33 has neither PATH nor START; partition offsets then come from sysfs.
const LSBLK_COLUMNS_OLD = "NAME,KNAME,MAJ:MIN,TYPE,SIZE,FSTYPE,UUID,LABEL,PTTYPE";

type LsblkNode = Record<string, unknown> & { children?: LsblkNode[] };

function asText(value: unknown): string | null {
  if (typeof value === "string") return value.trim() || null;
  if (typeof value === "number") return String(value);
  return null;
}

// lsblk before 2.33 writes every JSON value as a string, numbers included.
function asCount(value: unknown): number | null {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return null;
}

/** Parses `lsblk -J -b -o ...` output into a flat list, one entry per kernel device. */
export function parseLsblkJson(text: string): BlockDevice[] {
  const parsed = JSON.parse(text) as { blockdevices?: LsblkNode[] };
  const byKname = new Map<string, BlockDevice>();
  const visit = (node: LsblkNode, parent: string | null) => {
    const kname = asText(node.kname) ?? asText(node.name);
    if (!kname) return;
    const existing = byKname.get(kname);
    if (existing) {
      if (parent && !existing.parents.includes(parent)) existing.parents.push(parent);
    } else {
      const start = asCount(node.start);
      byKname.set(kname, {
        kname,
        name: asText(node.name) ?? kname,
        path: asText(node.path) ?? devicePathFor(kname, asText(node.type), asText(node.name)),
        type: asText(node.type) ?? "unknown",
        majMin: asText(node["maj:min"]),
        sizeBytes: asCount(node.size) ?? 0,
        startBytes: start === null ? null : start * SECTOR_BYTES,
        partitionNumber: null,
        parents: parent ? [parent] : [],
        fsType: asText(node.fstype),
        uuid: asText(node.uuid),
        label: asText(node.label),
        ptType: asText(node.pttype),
      });
    }
    for (const child of node.children ?? []) visit(child, kname);
  };
  for (const node of parsed.blockdevices ?? []) visit(node, null);
  return [...byKname.values()];
}

function devicePathFor(kname: string, type: string | null, name: string | null): string {
  if (kname.startsWith("dm-") && name && name !== kname) return `/dev/mapper/${name}`;
  if (type === "lvm" && name) return `/dev/mapper/${name}`;
  return `/dev/${kname}`;
}

/** Parses `blkid -o export`: KEY=value blocks separated by blank lines, keyed by DEVNAME. */
export function parseBlkidExport(text: string): Map<string, Record<string, string>> {
  const devices = new Map<string, Record<string, string>>();
  for (const block of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    for (const line of block.split("\n")) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match?.[1] && match[2] !== undefined) fields[match[1]] = match[2];
    }
    if (fields.DEVNAME) devices.set(fields.DEVNAME, fields);
  }
  return devices;
}

async function readNumber(host: Host, file: string): Promise<number | null> {
  const text = (await host.readText(file))?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : null;
}

async function readSysfsDevice(host: Host, dir: string, kname: string, parent: string | null): Promise<BlockDevice> {
  const sectors = await readNumber(host, `${dir}/size`);
  const majMin = (await host.readText(`${dir}/dev`))?.trim() || null;
  let type = parent ? "part" : "disk";
  let name = kname;
  if (kname.startsWith("dm-")) {
    name = (await host.readText(`${dir}/dm/name`))?.trim() || kname;
    const uuid = (await host.readText(`${dir}/dm/uuid`))?.trim() ?? "";
    type = uuid.startsWith("LVM-") ? "lvm" : uuid.startsWith("CRYPT-") ? "crypt" : "dm";
  } else if (kname.startsWith("md")) {
    type = (await host.readText(`${dir}/md/level`))?.trim() || "md";
  } else if (kname.startsWith("loop")) {
    type = "loop";
  } else if (kname.startsWith("sr")) {
    type = "rom";
  }
  const slaves = parent ? [] : ((await host.readDir(`${dir}/slaves`)) ?? []);
  const start = parent ? await readNumber(host, `${dir}/start`) : null;
  return {
    kname,
    name,
    path: devicePathFor(kname, type, name),
    type,
    majMin,
    sizeBytes: (sectors ?? 0) * SECTOR_BYTES,
    startBytes: start === null ? null : start * SECTOR_BYTES,
    partitionNumber: parent ? await readNumber(host, `${dir}/partition`) : null,
    parents: parent ? [parent] : slaves,
    fsType: null,
    uuid: null,
    label: null,
    ptType: null,
  };
}

/** The fallback when lsblk is missing: /sys/block, with /proc/partitions naming what sysfs hides. */
export async function readSysfsBlockDevices(host: Host): Promise<BlockDevice[]> {
  const devices: BlockDevice[] = [];
  const disks = (await host.readDir("/sys/block")) ?? [];
  for (const disk of disks) {
    const dir = `/sys/block/${disk}`;
    devices.push(await readSysfsDevice(host, dir, disk, null));
    for (const entry of (await host.readDir(dir)) ?? []) {
      if (!entry.startsWith(disk) && !entry.startsWith(`${disk}p`)) continue;
      if (!(await host.exists(`${dir}/${entry}/partition`))) continue;
      devices.push(await readSysfsDevice(host, `${dir}/${entry}`, entry, disk));
    }
  }
  if (devices.length > 0) return devices;
  // No sysfs (some containers): /proc/partitions still lists devices and sizes in KiB.
  const partitions = (await host.readText("/proc/partitions")) ?? "";
  for (const line of partitions.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (!match?.[4]) continue;
    const kname = match[4];
    const parent = devices.find((d) => d.type === "disk" && kname.startsWith(d.kname) && kname !== d.kname);
    devices.push({
      kname,
      name: kname,
      path: `/dev/${kname}`,
      type: parent ? "part" : kname.startsWith("loop") ? "loop" : "disk",
      majMin: `${match[1]}:${match[2]}`,
      sizeBytes: Number(match[3]) * 1024,
      startBytes: null,
      partitionNumber: null,
      parents: parent ? [parent.kname] : [],
      fsType: null,
      uuid: null,
      label: null,
      ptType: null,
    });
  }
  return devices;
}

/** lsblk has no partition number column before 2.39 (and old ones no START): sysfs has both. */
async function addPartitionGeometry(host: Host, devices: BlockDevice[]): Promise<void> {
  for (const device of devices) {
    if (device.type !== "part") continue;
    const dir = `/sys/class/block/${device.kname}`;
    device.partitionNumber ??= (await readNumber(host, `${dir}/partition`)) ?? numberFromName(device.kname);
    if (device.startBytes === null) {
      const start = await readNumber(host, `${dir}/start`);
      if (start !== null) device.startBytes = start * SECTOR_BYTES;
    }
  }
}

function numberFromName(kname: string): number | null {
  const digits = /(\d+)$/.exec(kname)?.[1];
  const value = digits ? Number(digits) : NaN;
  return value >= 1 ? value : null;
}

async function addBlkidProbe(host: Host, devices: BlockDevice[], notes: string[]): Promise<void> {
  if (devices.every((d) => d.fsType !== null || d.type === "loop" || d.type === "rom")) return;
  if (!(await host.findTool("blkid"))) return;
  const result = await host.runTool("blkid", ["-o", "export"]);
  if (!result.ok) {
    notes.push(`could not probe file systems with blkid (${result.reason})`);
    return;
  }
  const probed = parseBlkidExport(result.stdout);
  for (const device of devices) {
    const fields = probed.get(device.path) ?? probed.get(`/dev/${device.kname}`);
    if (!fields) continue;
    device.fsType ??= fields.TYPE ?? null;
    device.uuid ??= fields.UUID ?? null;
    device.label ??= fields.LABEL ?? null;
    device.ptType ??= fields.PTTYPE ?? null;
  }
}

export async function readBlockDevices(host: Host, notes: string[]): Promise<BlockDevice[]> {
  let devices: BlockDevice[] | null = null;
  if (await host.findTool("lsblk")) {
    for (const columns of [LSBLK_COLUMNS, LSBLK_COLUMNS_OLD]) {
      const result = await host.runTool("lsblk", ["-J", "-b", "-o", columns]);
      if (!result.ok) continue;
      try {
        devices = parseLsblkJson(result.stdout);
        break;
      } catch {
        notes.push("lsblk printed JSON that could not be parsed");
      }
    }
    if (!devices) notes.push("lsblk could not list block devices as JSON; read /sys/block instead");
  } else {
    notes.push("lsblk is not installed; block devices were read from /sys/block");
  }
  devices ??= await readSysfsBlockDevices(host);
  await addPartitionGeometry(host, devices);
  await addBlkidProbe(host, devices, notes);
  return devices;
}
