import fs from "node:fs";
import path from "node:path";

export type StaticNetwork = { address: string; gateway: string; dns: string[] };

function cidrToNetmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join(".");
}

/**
 * Writes a static IPv4 configuration into a migrated root, in the form its distribution reads:
 * netplan (Ubuntu), ifcfg (RHEL family) or /etc/network/interfaces (Debian). The new machine's
 * NIC name is not known here, so netplan matches any wired NIC and the others use the first
 * Ethernet name of the kernel (eth0). Returns what it changed, or null when it knows no format.
 */
export function writeStaticNetwork(root: string, network: StaticNetwork): string[] | null {
  const [ip, prefixText] = network.address.split("/") as [string, string];
  const prefix = Number(prefixText);
  const etc = path.join(root, "etc");
  const netplan = path.join(etc, "netplan");
  if (fs.existsSync(netplan)) {
    const file = path.join(netplan, "99-ferry-static.yaml");
    const dns = network.dns.length ? `\n      nameservers:\n        addresses: [${network.dns.join(", ")}]` : "";
    fs.writeFileSync(
      file,
      `# Written by Ferry at launch (server template: static address).\nnetwork:\n  version: 2\n  ethernets:\n    ferry0:\n      match:\n        name: "e*"\n      dhcp4: false\n      addresses: [${network.address}]\n      routes:\n        - to: default\n          via: ${network.gateway}${dns}\n`,
      { mode: 0o600 },
    );
    return [`/etc/netplan/99-ferry-static.yaml: static ${network.address} via ${network.gateway}`];
  }
  const scripts = path.join(etc, "sysconfig", "network-scripts");
  if (fs.existsSync(scripts)) {
    const dns = network.dns.map((server, i) => `DNS${i + 1}=${server}\n`).join("");
    fs.writeFileSync(path.join(scripts, "ifcfg-eth0"), `# Written by Ferry at launch.\nDEVICE=eth0\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=${ip}\nPREFIX=${prefix}\nGATEWAY=${network.gateway}\n${dns}`, { mode: 0o644 });
    return [`/etc/sysconfig/network-scripts/ifcfg-eth0: static ${network.address} via ${network.gateway}`];
  }
  const interfaces = path.join(etc, "network", "interfaces");
  if (fs.existsSync(interfaces)) {
    const dns = network.dns.length ? `    dns-nameservers ${network.dns.join(" ")}\n` : "";
    // Earlier stanzas for eth0 would fight the new one: leave the file's other interfaces alone and put ours in a file it sources or after it.
    fs.appendFileSync(interfaces, `\n# Written by Ferry at launch.\nauto eth0\niface eth0 inet static\n    address ${ip}\n    netmask ${cidrToNetmask(prefix)}\n    gateway ${network.gateway}\n${dns}`);
    return [`/etc/network/interfaces: static ${network.address} via ${network.gateway} on eth0`];
  }
  return null;
}
