import type { Host } from "./host";

export type MountEntry = {
  /** "major:minor" of the mounted device; btrfs and network file systems use anonymous 0:N numbers. */
  majMin: string;
  /** Path inside the file system that is mounted here ("/" unless a bind mount or btrfs subvolume). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string;
};

// mountinfo escapes space, tab, newline and backslash as octal (\040).
function unescapeOctal(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses /proc/self/mountinfo (proc(5)); lines that do not fit the format are skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const separator = line.indexOf(" - ");
    if (separator < 0) continue;
    const before = line.slice(0, separator).split(" ");
    const after = line.slice(separator + 3).split(" ");
    const [, , majMin, root, mountPoint] = before;
    const [fsType, source, superOptions] = after;
    if (!majMin || !root || !mountPoint || !fsType) continue;
    entries.push({
      majMin,
      root: unescapeOctal(root),
      mountPoint: unescapeOctal(mountPoint),
      fsType,
      source: unescapeOctal(source ?? ""),
      superOptions: superOptions ?? "",
    });
  }
  return entries;
}

export async function readMounts(host: Host, notes: string[]): Promise<MountEntry[]> {
  const text = (await host.readText("/proc/self/mountinfo")) ?? (await host.readText("/proc/1/mountinfo"));
  if (text === null) {
    notes.push("could not read /proc/self/mountinfo: mount points, shared mounts and free space are unknown");
    return [];
  }
  return parseMountInfo(text);
}

/**
 * The mount that best names where a device lives: "/" when the device is the root file system,
 * otherwise its first mount of the whole file system (root "/"), otherwise its first mount.
 */
export function pickMount(mounts: MountEntry[]): MountEntry | null {
  return (
    mounts.find((m) => m.mountPoint === "/") ?? mounts.find((m) => m.root === "/") ?? mounts[0] ?? null
  );
}
