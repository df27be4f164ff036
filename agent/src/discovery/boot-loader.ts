import type { SourceReport } from "../protocol/v1/report";
import type { Host } from "./host";

type BootLoader = NonNullable<SourceReport["bootLoader"]>;

// Checked in order: GRUB 2 keeps grub.cfg (RHEL in /boot/grub2, Debian/SUSE in /boot/grub, UEFI
// installs under the ESP); GRUB legacy only menu.lst/grub.conf; systemd-boot a loader.conf.
const CANDIDATES: { kind: BootLoader["kind"]; path: string }[] = [
  { kind: "grub2", path: "/boot/grub2/grub.cfg" },
  { kind: "grub2", path: "/boot/grub/grub.cfg" },
  { kind: "systemd-boot", path: "/boot/loader/loader.conf" },
  { kind: "systemd-boot", path: "/boot/efi/loader/loader.conf" },
  { kind: "systemd-boot", path: "/efi/loader/loader.conf" },
  { kind: "grub", path: "/boot/grub/menu.lst" },
  { kind: "grub", path: "/boot/grub/grub.conf" },
];

/** os-prober adds menu entries named "<system> (on /dev/sdXN)" for every other OS it finds. */
export function parseOtherSystems(grubConfig: string): string[] {
  const entries = new Set<string>();
  for (const match of grubConfig.matchAll(/^\s*(?:menuentry|title)\s+['"]?([^'"\n{]*\(on \/dev\/[^)]+\))/gm)) {
    if (match[1]) entries.add(match[1].trim().slice(0, 256));
  }
  return [...entries].slice(0, 64);
}

async function findEfiGrubConfig(host: Host): Promise<string | null> {
  for (const vendor of (await host.readDir("/boot/efi/EFI")) ?? []) {
    const candidate = `/boot/efi/EFI/${vendor}/grub.cfg`;
    if (await host.exists(candidate)) return candidate;
  }
  return null;
}

export async function readBootLoader(host: Host, notes: string[]): Promise<BootLoader | null> {
  for (const candidate of CANDIDATES) {
    const text = await host.readText(candidate.path);
    if (text === null) continue;
    return { kind: candidate.kind, configPath: candidate.path, otherSystems: parseOtherSystems(text) };
  }
  const efiGrub = await findEfiGrubConfig(host);
  if (efiGrub) {
    return { kind: "grub2", configPath: efiGrub, otherSystems: parseOtherSystems((await host.readText(efiGrub)) ?? "") };
  }
  notes.push("no boot loader configuration found (looked for GRUB 2, GRUB legacy and systemd-boot files)");
  return null;
}
