import type { Host } from "./host";

/** The kernel exposes /sys/firmware/efi only when it was booted by UEFI firmware. */
export async function readFirmware(host: Host, notes: string[]): Promise<"bios" | "uefi" | null> {
  if (await host.exists("/sys/firmware/efi")) return "uefi";
  if (await host.exists("/sys/firmware")) return "bios";
  notes.push("could not tell BIOS from UEFI: /sys/firmware is not readable");
  return null;
}
