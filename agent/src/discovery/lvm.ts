import type { SourceReport } from "../protocol/v1/report";
import type { BlockDevice } from "./block-devices";
import { filesystemOf } from "./disks";
import type { Host } from "./host";
import type { MountEntry } from "./mounts";

type Lvm = NonNullable<SourceReport["lvm"]>;
type Row = Record<string, string>;

const LV_FIELDS = "vg_name,lv_name,lv_path,lv_size,lv_attr,segtype,lv_kernel_major,lv_kernel_minor";
const VG_FIELDS = "vg_name,vg_size,vg_free";
const PV_FIELDS = "pv_name,vg_name";
const COMMON_ARGS = ["--units", "b", "--nosuffix"];

/** `lvs --reportformat json` prints {"report":[{"lv":[{...}]}]}; vgs and pvs use "vg" and "pv". */
export function parseLvmJson(text: string, key: "lv" | "vg" | "pv"): Row[] {
  const parsed = JSON.parse(text) as { report?: Record<string, Row[] | undefined>[] };
  return (parsed.report ?? []).flatMap((section) => section[key] ?? []);
}

/** The fallback for lvm2 older than 2.02.158: `--noheadings --separator |` rows. */
export function parseLvmSeparated(text: string, fields: string): Row[] {
  const names = fields.split(",");
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const values = line.trim().split("|");
      return Object.fromEntries(names.map((name, i) => [name, (values[i] ?? "").trim()]));
    });
}

async function runReport(host: Host, tool: "lvs" | "vgs" | "pvs", fields: string): Promise<Row[] | string> {
  const key = tool === "lvs" ? "lv" : tool === "vgs" ? "vg" : "pv";
  const json = await host.runTool(tool, ["--reportformat", "json", ...COMMON_ARGS, "-o", fields]);
  if (json.ok) {
    try {
      return parseLvmJson(json.stdout, key);
    } catch {
      // fall through to the plain format
    }
  }
  const plain = await host.runTool(tool, ["--noheadings", "--separator", "|", ...COMMON_ARGS, "-o", fields]);
  return plain.ok ? parseLvmSeparated(plain.stdout, fields) : plain.reason;
}

function toBytes(value: string | undefined): number | null {
  const text = value?.trim().replace(/B$/, "") ?? "";
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** A thin volume has lv_attr "V...", a thin pool "t..."; segtype says "thin" / "thin-pool". */
export function isThinVolume(row: Row): boolean {
  const segtype = row.segtype ?? "";
  const kind = (row.lv_attr ?? "")[0];
  return segtype === "thin" || segtype === "thin-pool" || kind === "V" || kind === "t";
}

function hasLvmSigns(devices: BlockDevice[]): boolean {
  return devices.some((d) => d.fsType === "LVM2_member" || d.type === "lvm");
}

export async function readLvm(
  host: Host,
  devices: BlockDevice[],
  mounts: MountEntry[],
  notes: string[],
): Promise<Lvm | null> {
  if (!(await host.findTool("lvs"))) {
    if (!hasLvmSigns(devices)) return { volumeGroups: [], logicalVolumes: [] };
    notes.push("LVM volumes are present but the lvm2 tools (lvs) are not installed, so they could not be read");
    return null;
  }
  const lvs = await runReport(host, "lvs", LV_FIELDS);
  if (typeof lvs === "string") {
    if (!hasLvmSigns(devices)) return { volumeGroups: [], logicalVolumes: [] };
    notes.push(`could not list LVM volumes (${lvs})`);
    return null;
  }
  const vgs = await runReport(host, "vgs", VG_FIELDS);
  const pvs = await runReport(host, "pvs", PV_FIELDS);
  if (typeof vgs === "string") notes.push(`could not list LVM volume groups (${vgs})`);
  if (typeof pvs === "string") notes.push(`could not list LVM physical volumes (${pvs})`);

  const logicalVolumes: Lvm["logicalVolumes"] = [];
  for (const row of lvs) {
    const vg = row.vg_name;
    const lv = row.lv_name;
    if (!vg || !lv) continue;
    const major = row.lv_kernel_major?.trim();
    const minor = row.lv_kernel_minor?.trim();
    const majMin = major && minor && major !== "-1" ? `${major}:${minor}` : null;
    const path = row.lv_path?.trim() || null;
    const device =
      devices.find((d) => majMin !== null && d.majMin === majMin) ??
      devices.find((d) => d.type === "lvm" && d.name === `${vg.replace(/-/g, "--")}-${lv.replace(/-/g, "--")}`);
    const fs = device
      ? await filesystemOf(host, device, mounts)
      : { fsType: null, uuid: null, label: null, mountPoint: null, usedBytes: null, freeBytes: null };
    logicalVolumes.push({
      vg,
      name: lv,
      path,
      sizeBytes: toBytes(row.lv_size) ?? 0,
      isThin: isThinVolume(row),
      ...fs,
    });
  }
  const pvRows = typeof pvs === "string" ? [] : pvs;
  const volumeGroups: Lvm["volumeGroups"] = (typeof vgs === "string" ? [] : vgs)
    .filter((row) => row.vg_name)
    .map((row) => ({
      name: row.vg_name ?? "",
      sizeBytes: toBytes(row.vg_size),
      freeBytes: toBytes(row.vg_free),
      physicalVolumes: pvRows.filter((pv) => pv.vg_name === row.vg_name && pv.pv_name).map((pv) => pv.pv_name ?? ""),
    }));
  return { volumeGroups, logicalVolumes };
}
