import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { UserError } from "../errors";
import { configureTarget, formatChanges, type ConfigChange } from "../transfer/files/configure-target";

const USAGE = `ferry-agent configure-target --root DIR [--uuid-map OLD=NEW ...] [--device-map OLD=NEW ...] [--mac-map OLD=NEW ...] [--dry-run]

Prepares a migrated system to boot on its new machine: rewrites filesystem UUIDs and device names
in fstab, crypttab, resume, GRUB (grub.cfg, /etc/default/grub) and boot loader entries, and
updates network configuration that pins MAC addresses (udev rules, NetworkManager, ifcfg HWADDR,
netplan, systemd-networkd, ifupdown); a pinned MAC without a --mac-map entry is unpinned.
Lists every change; the list is also kept in DIR/.ferry/configure-target.log.

  --root DIR            the target's root (a mounted filesystem or a send --files copy)
  --uuid-map OLD=NEW    a filesystem or partition UUID of the source and the target's; repeatable
  --device-map OLD=NEW  a device path, e.g. /dev/sda1=/dev/vda1; repeatable
  --mac-map OLD=NEW     a MAC address of the source and the target's; repeatable
  --dry-run             list the changes without making them
`;

function parseMap(values: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new UserError(`${flag} must be OLD=NEW, got "${v}"`, 2);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export async function runConfigureTargetCli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        root: { type: "string" },
        "uuid-map": { type: "string", multiple: true },
        "device-map": { type: "string", multiple: true },
        "mac-map": { type: "string", multiple: true },
        "dry-run": { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (error) {
    throw new UserError(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!v.root) throw new UserError("--root DIR is required", 2);
  if (!fs.existsSync(v.root)) throw new UserError(`no such folder: ${v.root}`, 1);
  const changes: ConfigChange[] = configureTarget({
    root: v.root,
    uuidMap: parseMap(v["uuid-map"], "--uuid-map"),
    deviceMap: parseMap(v["device-map"], "--device-map"),
    macMap: parseMap(v["mac-map"], "--mac-map"),
    isDryRun: v["dry-run"],
  });
  const text = formatChanges(changes);
  process.stdout.write(`${v["dry-run"] ? "would change" : "changed"} ${changes.length} lines\n${text}\n`);
  if (!v["dry-run"] && changes.length > 0) {
    const log = path.join(v.root, ".ferry", "configure-target.log");
    fs.mkdirSync(path.dirname(log), { recursive: true });
    fs.appendFileSync(log, `${new Date().toISOString()}\n${text}\n`);
  }
  return 0;
}
