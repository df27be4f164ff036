import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeStaticNetwork } from "./static-network";

const network = { address: "10.20.0.5/24", gateway: "10.20.0.1", dns: ["10.20.0.2"] };

function root(...dirs: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-net-"));
  for (const d of dirs) fs.mkdirSync(path.join(dir, d), { recursive: true });
  return dir;
}

describe("static network at launch", () => {
  it("writes netplan on Ubuntu-style roots", () => {
    const dir = root("etc/netplan");
    expect(writeStaticNetwork(dir, network)).toEqual(["/etc/netplan/99-ferry-static.yaml: static 10.20.0.5/24 via 10.20.0.1"]);
    const text = fs.readFileSync(path.join(dir, "etc/netplan/99-ferry-static.yaml"), "utf8");
    expect(text).toContain("addresses: [10.20.0.5/24]");
    expect(text).toContain("via: 10.20.0.1");
    expect(text).toContain("addresses: [10.20.0.2]");
  });

  it("writes ifcfg on RHEL-style roots", () => {
    const dir = root("etc/sysconfig/network-scripts");
    writeStaticNetwork(dir, network);
    expect(fs.readFileSync(path.join(dir, "etc/sysconfig/network-scripts/ifcfg-eth0"), "utf8")).toMatch(/IPADDR=10\.20\.0\.5\nPREFIX=24\nGATEWAY=10\.20\.0\.1\nDNS1=10\.20\.0\.2/);
  });

  it("adds a static stanza with the netmask on Debian-style roots", () => {
    const dir = root("etc/network");
    fs.writeFileSync(path.join(dir, "etc/network/interfaces"), "auto lo\niface lo inet loopback\n");
    writeStaticNetwork(dir, { ...network, address: "192.168.7.9/20" });
    const text = fs.readFileSync(path.join(dir, "etc/network/interfaces"), "utf8");
    expect(text).toContain("iface lo inet loopback");
    expect(text).toContain("address 192.168.7.9\n    netmask 255.255.240.0\n    gateway 10.20.0.1");
  });

  it("says it knows no format rather than guessing", () => {
    expect(writeStaticNetwork(root("etc"), network)).toBeNull();
  });
});
