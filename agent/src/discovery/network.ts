import type { ReportNetworkInterface } from "../protocol/v1/report";
import type { Host } from "./host";

const RTF_GATEWAY = 0x2;

/** /proc/net/route holds IPv4 addresses as little-endian hex: 010200C0 → 192.0.2.1. */
function ipv4FromHex(hex: string): string {
  const bytes = hex.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? [];
  return bytes.reverse().join(".");
}

/** Default IPv4 gateways by interface, from /proc/net/route. */
export function parseIpv4DefaultGateways(text: string): Map<string, string> {
  const gateways = new Map<string, string>();
  for (const line of text.split("\n").slice(1)) {
    const [iface, destination, gateway, flags, , , , mask] = line.trim().split(/\s+/);
    if (!iface || !gateway || !flags) continue;
    const isDefault = destination === "00000000" && (mask === undefined || mask === "00000000");
    if (isDefault && (parseInt(flags, 16) & RTF_GATEWAY) !== 0 && !gateways.has(iface)) {
      gateways.set(iface, ipv4FromHex(gateway));
    }
  }
  return gateways;
}

/** 32 hex digits → compressed IPv6 text (longest run of zero groups becomes "::"). */
export function ipv6FromHex(hex: string): string {
  const groups = (hex.match(/.{4}/g) ?? []).map((group) => parseInt(group, 16).toString(16));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== "0") {
      i += 1;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j += 1;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  return `${groups.slice(0, bestStart).join(":")}::${groups.slice(bestStart + bestLength).join(":")}`;
}

/**
 * Default IPv6 gateways by interface, from /proc/net/ipv6_route:
 * destination, prefix, source, prefix, next hop, metric, refcount, use, flags, device.
 */
export function parseIpv6DefaultGateways(text: string): Map<string, string> {
  const gateways = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [destination, prefix, , , nextHop, , , , flags, iface] = line.trim().split(/\s+/);
    if (!destination || !nextHop || !flags || !iface || iface === "lo") continue;
    if (!/^0+$/.test(destination) || prefix !== "00" || /^0+$/.test(nextHop)) continue;
    if ((parseInt(flags, 16) & RTF_GATEWAY) !== 0 && !gateways.has(iface)) gateways.set(iface, ipv6FromHex(nextHop));
  }
  return gateways;
}

async function readTrimmed(host: Host, file: string): Promise<string | null> {
  return (await host.readText(file))?.trim() || null;
}

export async function readNetwork(host: Host, notes: string[]): Promise<ReportNetworkInterface[]> {
  const nodeInterfaces = host.networkInterfaces();
  const sysNames = await host.readDir("/sys/class/net");
  if (sysNames === null) notes.push("could not read /sys/class/net: interfaces without an address and MTUs are missing");
  const names = [...new Set([...(sysNames ?? []), ...Object.keys(nodeInterfaces)])].sort((a, b) =>
    a.localeCompare(b, "en", { numeric: true }),
  );
  const routes = await host.readText("/proc/net/route");
  const routes6 = await host.readText("/proc/net/ipv6_route");
  if (routes === null) notes.push("could not read /proc/net/route: default gateways are unknown");
  const gateways = parseIpv4DefaultGateways(routes ?? "");
  const gateways6 = parseIpv6DefaultGateways(routes6 ?? "");

  const result: ReportNetworkInterface[] = [];
  for (const name of names) {
    const infos = nodeInterfaces[name] ?? [];
    const mtuText = await readTrimmed(host, `/sys/class/net/${name}/mtu`);
    const sysMac = await readTrimmed(host, `/sys/class/net/${name}/address`);
    const mac = sysMac ?? infos[0]?.mac ?? null;
    result.push({
      name,
      mac,
      addresses: infos.map((info) => ({
        address: info.address,
        prefix: Number(info.cidr?.split("/")[1] ?? prefixFromNetmask(info.netmask)),
        family: info.family === "IPv6" ? ("ipv6" as const) : ("ipv4" as const),
      })),
      gateway: gateways.get(name) ?? null,
      gateway6: gateways6.get(name) ?? null,
      mtu: mtuText && /^\d+$/.test(mtuText) ? Number(mtuText) : null,
    });
  }
  return result;
}

function prefixFromNetmask(netmask: string): number {
  if (netmask.includes(":")) {
    return netmask
      .split(":")
      .map((group) => (group ? parseInt(group, 16).toString(2).replace(/0/g, "").length : 0))
      .reduce((a, b) => a + b, 0);
  }
  return netmask
    .split(".")
    .map((octet) => Number(octet).toString(2).replace(/0/g, "").length)
    .reduce((a, b) => a + b, 0);
}
