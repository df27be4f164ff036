import fs from "node:fs";
import path from "node:path";

/**
 * The "configure" step before a migrated system boots on its new machine: references to the
 * source's filesystem UUIDs and device names are rewritten (fstab, crypttab, resume, GRUB, BLS
 * entries), and network configuration that pins the source's MAC addresses is updated to the
 * target's or, for a MAC the target does not map, unpinned. Every change is returned (and the
 * caller logs it); files are rewritten in place under a temporary name, keeping their mode.
 */
export interface ConfigureTargetOptions {
  /** The target's root filesystem as mounted (or the folder a file-level copy went to). */
  root: string;
  /** Filesystem (or partition) UUID on the source → on the target. */
  uuidMap?: Record<string, string>;
  /** Device path on the source → on the target, e.g. /dev/sda1 → /dev/vda1. */
  deviceMap?: Record<string, string>;
  /** MAC address on the source → on the target; a pinned MAC not listed here is unpinned. */
  macMap?: Record<string, string>;
  isDryRun?: boolean;
}

export interface ConfigChange {
  /** Path inside the target root, starting with "/". */
  file: string;
  line: number;
  before: string;
  /** null when the line was removed. */
  after: string | null;
  reason: string;
}

const BOOT_AND_MOUNT_FILES = [
  "/etc/fstab",
  "/etc/crypttab",
  "/etc/default/grub",
  "/etc/initramfs-tools/conf.d/resume",
  "/etc/kernel/cmdline",
  "/boot/grub/grub.cfg",
  "/boot/grub2/grub.cfg",
  "/boot/grub2/grubenv",
  "/boot/efi/EFI/*/grub.cfg",
  "/boot/loader/entries/*.conf",
];

const MAC_RE = /\b([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b/i;

function expand(root: string, pattern: string): string[] {
  const parts = pattern.split("/").filter(Boolean);
  let current = [root];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of current) {
      if (part.includes("*")) {
        const re = new RegExp(`^${part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
        let names: string[] = [];
        try {
          names = fs.readdirSync(dir);
        } catch {
          continue;
        }
        for (const n of names.sort()) if (re.test(n)) next.push(path.join(dir, n));
      } else next.push(path.join(dir, part));
    }
    current = next;
  }
  return current.filter((p) => {
    try {
      return fs.lstatSync(p).isFile();
    } catch {
      return false;
    }
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function normalizeMac(mac: string): string {
  return mac.toLowerCase().replace(/-/g, ":");
}

/** Edits one file line by line; writes it back (same mode and owner) only if a line changed. */
function editLines(
  root: string,
  file: string,
  changes: ConfigChange[],
  isDryRun: boolean,
  edit: (line: string, lines: string[], index: number) => { after: string | null; reason: string } | null,
): void {
  const text = fs.readFileSync(file, "utf8");
  const lines = text.split("\n");
  const out: string[] = [];
  let isChanged = false;
  for (let i = 0; i < lines.length; i++) {
    const r = edit(lines[i]!, lines, i);
    if (!r || r.after === lines[i]) {
      out.push(lines[i]!);
      continue;
    }
    isChanged = true;
    changes.push({ file: `/${path.relative(root, file)}`, line: i + 1, before: lines[i]!, after: r.after, reason: r.reason });
    if (r.after !== null) out.push(r.after);
  }
  if (!isChanged || isDryRun) return;
  const st = fs.statSync(file);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.ferry-configure`);
  fs.writeFileSync(tmp, out.join("\n"), { mode: st.mode & 0o7777 });
  fs.chownSync(tmp, st.uid, st.gid);
  fs.renameSync(tmp, file);
}

function rewriteReferences(line: string, uuidMap: [string, string][], deviceMap: [string, string][]): { after: string; reason: string } | null {
  let after = line;
  const reasons: string[] = [];
  for (const [from, to] of uuidMap) {
    const re = new RegExp(escapeRe(from), "gi");
    if (re.test(after)) {
      after = after.replace(re, to);
      reasons.push(`UUID ${from} → ${to}`);
    }
  }
  for (const [from, to] of deviceMap) {
    // /dev/sda1 but not /dev/sda10 or /dev/sda1p2.
    const re = new RegExp(`${escapeRe(from)}(?![\\w.-])`, "g");
    if (re.test(after)) {
      after = after.replace(re, to);
      reasons.push(`device ${from} → ${to}`);
    }
  }
  return reasons.length ? { after, reason: reasons.join(", ") } : null;
}

export function configureTarget(options: ConfigureTargetOptions): ConfigChange[] {
  const root = path.resolve(options.root);
  if (!fs.statSync(root).isDirectory()) throw new Error(`${root} is not a folder`);
  const changes: ConfigChange[] = [];
  const isDryRun = options.isDryRun ?? false;
  const uuidMap = Object.entries(options.uuidMap ?? {});
  const deviceMap = Object.entries(options.deviceMap ?? {}).sort((a, b) => b[0].length - a[0].length);
  const macMap = new Map(Object.entries(options.macMap ?? {}).map(([k, v]) => [normalizeMac(k), v ? normalizeMac(v) : ""]));
  // The target's own MACs (a rerun, or a pin already made for the new machine) stay as they are.
  for (const to of [...macMap.values()]) if (to && !macMap.has(to)) macMap.set(to, to);

  if (uuidMap.length || deviceMap.length) {
    for (const pattern of BOOT_AND_MOUNT_FILES) {
      for (const file of expand(root, pattern)) editLines(root, file, changes, isDryRun, (line) => rewriteReferences(line, uuidMap, deviceMap));
    }
  }

  /** A pinned MAC: the target's if mapped, else the pin goes (the new machine's NICs differ). */
  const macEdit = (line: string, replaceIn: (mac: string, to: string) => string, reason: string) => {
    const m = MAC_RE.exec(line);
    if (!m) return null;
    const to = macMap.get(normalizeMac(m[1]!));
    if (to === normalizeMac(m[1]!)) return null;
    if (to) return { after: replaceIn(m[1]!, to), reason: `${reason}: ${m[1]} → ${to}` };
    return { after: null, reason: `${reason}: ${m[1]} pinned an interface of the source; removed` };
  };

  for (const file of expand(root, "/etc/udev/rules.d/*.rules")) {
    editLines(root, file, changes, isDryRun, (line) =>
      /ATTRS?\{address\}==/.test(line) && !line.trimStart().startsWith("#") ? macEdit(line, (mac, to) => line.replace(mac, to), "udev persistent net rule") : null,
    );
  }
  for (const file of expand(root, "/etc/NetworkManager/system-connections/*")) {
    editLines(root, file, changes, isDryRun, (line) => (/^\s*mac-address\s*=/.test(line) ? macEdit(line, (mac, to) => line.replace(mac, to), "NetworkManager mac-address") : null));
  }
  for (const file of expand(root, "/etc/sysconfig/network-scripts/ifcfg-*").concat(expand(root, "/etc/sysconfig/network/ifcfg-*"))) {
    editLines(root, file, changes, isDryRun, (line) => (/^\s*HWADDR\s*=/.test(line) ? macEdit(line, (mac, to) => line.replace(mac, to), "ifcfg HWADDR") : null));
  }
  for (const file of expand(root, "/etc/systemd/network/*")) {
    editLines(root, file, changes, isDryRun, (line) => (/^\s*MACAddress\s*=/.test(line) ? macEdit(line, (mac, to) => line.replace(mac, to), "systemd-networkd MACAddress") : null));
  }
  for (const file of expand(root, "/etc/network/interfaces")) {
    editLines(root, file, changes, isDryRun, (line) => (/^\s*hwaddress\b/.test(line) ? macEdit(line, (mac, to) => line.replace(mac, to), "ifupdown hwaddress") : null));
  }
  for (const file of expand(root, "/etc/netplan/*.yaml").concat(expand(root, "/etc/netplan/*.yml"))) {
    configureNetplan(root, file, macMap, changes, isDryRun);
  }
  return changes;
}

/**
 * netplan matches an interface by `match: macaddress:` (often with `set-name`): a mapped MAC is
 * replaced; an unmapped one removes the match block and its set-name, which would otherwise
 * leave the interface unconfigured on the new machine.
 */
function configureNetplan(root: string, file: string, macMap: Map<string, string>, changes: ConfigChange[], isDryRun: boolean): void {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const indentOf = (l: string) => l.length - l.trimStart().length;
  const drop = new Set<number>();
  const edits = new Map<number, string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!/^\s*macaddress\s*:/.test(line)) continue;
    const m = MAC_RE.exec(line);
    if (!m) continue;
    const to = macMap.get(normalizeMac(m[1]!));
    if (to === normalizeMac(m[1]!)) continue;
    if (to) {
      edits.set(i, line.replace(m[1]!, to));
      changes.push({ file: `/${path.relative(root, file)}`, line: i + 1, before: line, after: edits.get(i)!, reason: `netplan macaddress: ${m[1]} → ${to}` });
      continue;
    }
    // Find the enclosing `match:` and drop it when this is all it holds, with the set-name beside it.
    let j = i - 1;
    while (j >= 0 && (lines[j]!.trim() === "" || indentOf(lines[j]!) >= indentOf(line))) j--;
    const isMatch = j >= 0 && /^\s*match\s*:\s*$/.test(lines[j]!);
    let children = 0;
    if (isMatch) for (let k = j + 1; k < lines.length && (lines[k]!.trim() === "" || indentOf(lines[k]!) > indentOf(lines[j]!)); k++) if (lines[k]!.trim()) children++;
    const reason = `netplan macaddress: ${m[1]} pinned an interface of the source; removed`;
    if (isMatch && children === 1) {
      drop.add(j);
      drop.add(i);
      for (let k = j - 1; k >= 0 && indentOf(lines[k]!) >= indentOf(lines[j]!); k--) if (indentOf(lines[k]!) === indentOf(lines[j]!) && /^\s*set-name\s*:/.test(lines[k]!)) drop.add(k);
      for (let k = j + 1; k < lines.length && (lines[k]!.trim() === "" || indentOf(lines[k]!) >= indentOf(lines[j]!)); k++) {
        if (indentOf(lines[k]!) === indentOf(lines[j]!) && /^\s*set-name\s*:/.test(lines[k]!)) drop.add(k);
        if (indentOf(lines[k]!) < indentOf(lines[j]!)) break;
      }
    } else drop.add(i);
    for (const k of [...drop].sort((a, b) => a - b)) {
      if (!changes.some((c) => c.file === `/${path.relative(root, file)}` && c.line === k + 1)) {
        changes.push({ file: `/${path.relative(root, file)}`, line: k + 1, before: lines[k]!, after: null, reason });
      }
    }
  }
  if ((drop.size === 0 && edits.size === 0) || isDryRun) return;
  const out = lines.flatMap((l, i) => (drop.has(i) ? [] : [edits.get(i) ?? l]));
  const st = fs.statSync(file);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.ferry-configure`);
  fs.writeFileSync(tmp, out.join("\n"), { mode: st.mode & 0o7777 });
  fs.chownSync(tmp, st.uid, st.gid);
  fs.renameSync(tmp, file);
}

export function formatChanges(changes: readonly ConfigChange[]): string {
  if (changes.length === 0) return "no references to change";
  return changes.map((c) => `${c.file}:${c.line}: ${c.reason}\n  - ${c.before}\n  ${c.after === null ? "(removed)" : `+ ${c.after}`}`).join("\n");
}
