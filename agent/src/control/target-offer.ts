import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { UserError } from "../errors";
import type { TargetCapabilities } from "../protocol/v1/register";
import { statTarget } from "../transfer/device-size";

/** What the person starting `ferry-agent target` lets the console use. */
export type TargetOfferOptions = {
  /** Host name or address sources connect to; default: the first non-loopback address. */
  receiveHost?: string;
  /** Block devices or image files the agent may overwrite. */
  disks?: string[];
  /** Every *.img file in this folder is offered as a disk. */
  disksDir?: string;
  /** Folder file-level migrations land in (one folder per task below it). */
  fileRoot?: string;
  /** Ports receivers may listen on; default: any free port. */
  portRange?: PortRange;
  /** Shell command the launch runs after configuring (the launch hook), e.g. a reboot or a hypervisor call. */
  launchCommand?: string;
};

export type PortRange = { first: number; last: number };

export function parsePortRange(text: string): PortRange {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const first = Number(m?.[1]);
  const last = Number(m?.[2]);
  if (!m || first < 1 || last > 65535 || first > last) throw new UserError(`--port-range must be FIRST-LAST, e.g. 7000-7099, got "${text}"`, 2);
  return { first, last };
}

/** The first non-internal IPv4 address, else IPv6 (not link-local), else the host name. */
export function defaultReceiveHost(interfaces = os.networkInterfaces(), hostname = os.hostname()): string {
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  const v4 = all.find((a) => !a.internal && a.family === "IPv4");
  if (v4) return v4.address;
  const v6 = all.find((a) => !a.internal && a.family === "IPv6" && !a.address.toLowerCase().startsWith("fe80"));
  return v6?.address ?? hostname;
}

/** "host:port" as a source dials it; IPv6 literals in brackets. */
export function formatAddress(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * Checks the offer and measures it: each disk must exist and be a block device or a regular
 * file; the file root must be a folder. Disks are listed by their real path (symlinks such as
 * /dev/disk/by-id/... resolved) so the console and the receiver compare the same names.
 */
export async function describeTarget(offer: TargetOfferOptions): Promise<TargetCapabilities> {
  const paths = [...(offer.disks ?? [])];
  if (offer.disksDir) {
    let names: string[];
    try {
      names = fs.readdirSync(offer.disksDir);
    } catch (error) {
      throw new UserError(`--disks-dir ${offer.disksDir} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    for (const name of names.filter((n) => n.endsWith(".img")).sort()) paths.push(path.join(offer.disksDir, name));
  }
  const disks: TargetCapabilities["disks"] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const real = realpathOrSelf(p);
    if (seen.has(real)) continue;
    seen.add(real);
    let info: Awaited<ReturnType<typeof statTarget>>;
    try {
      info = await statTarget(real);
    } catch (error) {
      throw new UserError(`the disk ${p} cannot be used: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (!info.isFile && !info.isBlockDevice) throw new UserError(`the disk ${p} is neither a block device nor a regular file`);
    disks.push({ path: real, sizeBytes: info.size ?? 0, kind: info.isFile ? "file" : "device" });
  }
  let fileRoot: string | null = null;
  if (offer.fileRoot) {
    fileRoot = realpathOrSelf(offer.fileRoot);
    if (!fs.existsSync(fileRoot) || !fs.statSync(fileRoot).isDirectory()) throw new UserError(`--file-root ${offer.fileRoot} is not a folder`);
  }
  return { receiveHost: offer.receiveHost ?? defaultReceiveHost(), disks: disks.slice(0, 64), fileRoot };
}

/** The real path of p, resolving symlinks of its existing part (the rest may not exist yet). */
export function resolveExisting(p: string): string {
  const parts: string[] = [];
  let current = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(current), ...parts.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.resolve(p);
      parts.push(path.basename(current));
      current = parent;
    }
  }
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}
