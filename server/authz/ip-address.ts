/**
 * IPv4/IPv6 addresses and CIDR blocks as bigints, for the IpAddress/NotIpAddress conditions.
 * IPv4-mapped IPv6 addresses (::ffff:203.0.113.5, what a dual-stack socket reports for an IPv4
 * client) are treated as the IPv4 address, so an IPv4 CIDR still matches them.
 */
export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface CidrBlock {
  version: 4 | 6;
  network: bigint;
  prefixLength: number;
}

const IPV4_MAPPED_PREFIX = 0xffffn << 32n;
const IPV4_MAPPED_MASK = ((1n << 96n) - 1n) << 32n;

function parseIPv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    // Leading zeros are refused: some parsers read them as octal, so their meaning is ambiguous.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseHexGroups(text: string): bigint[] | null {
  if (text === "") return [];
  const groups: bigint[] = [];
  const parts = text.split(":");
  for (const [index, part] of parts.entries()) {
    if (index === parts.length - 1 && part.includes(".")) {
      const ipv4 = parseIPv4(part);
      if (ipv4 === null) return null;
      groups.push(ipv4 >> 16n, ipv4 & 0xffffn);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(BigInt(`0x${part}`));
    } else {
      return null;
    }
  }
  return groups;
}

function parseIPv6(text: string): bigint | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = parseHexGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseHexGroups(halves[1] ?? "") : [];
  if (head === null || tail === null) return null;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && (halves[0] ?? "").includes(".")) return null;
  const explicitCount = head.length + tail.length;
  if (halves.length === 2 ? explicitCount > 7 : explicitCount !== 8) return null;
  const groups = [...head, ...Array<bigint>(8 - explicitCount).fill(0n), ...tail];
  return groups.reduce((value, group) => (value << 16n) | group, 0n);
}

/** Parses an address; a zone id ("fe80::1%eth0") is ignored. */
export function parseIpAddress(text: string): IpAddress | null {
  const address = text.trim().replace(/%[0-9A-Za-z._~-]+$/, "");
  if (!address.includes(":")) {
    const value = parseIPv4(address);
    return value === null ? null : { version: 4, value };
  }
  const value = parseIPv6(address);
  if (value === null) return null;
  if ((value & IPV4_MAPPED_MASK) === IPV4_MAPPED_PREFIX) return { version: 4, value: value & 0xffffffffn };
  return { version: 6, value };
}

/** "10.0.0.0/8", "2001:db8::/32", or a single address (a /32 or /128). Host bits are ignored. */
export function parseCidr(text: string): CidrBlock | null {
  const trimmed = text.trim();
  const slash = trimmed.indexOf("/");
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  if (addressText.includes("%")) return null;
  const address = addressText.includes(":")
    ? ((value) => (value === null ? null : { version: 6 as const, value }))(parseIPv6(addressText))
    : parseIpAddress(addressText);
  if (!address) return null;
  const bits = address.version === 4 ? 32 : 128;
  let prefixLength = bits;
  if (slash >= 0) {
    const prefixText = trimmed.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) return null;
    prefixLength = Number(prefixText);
  }
  return { version: address.version, network: address.value & maskOf(bits, prefixLength), prefixLength };
}

function maskOf(bits: number, prefixLength: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return (all >> BigInt(bits - prefixLength)) << BigInt(bits - prefixLength);
}

export function cidrContains(block: CidrBlock, address: IpAddress): boolean {
  if (block.version !== address.version) return false;
  const bits = block.version === 4 ? 32 : 128;
  return (address.value & maskOf(bits, block.prefixLength)) === block.network;
}
