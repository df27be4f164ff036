import { describe, expect, it } from "vitest";
import { cidrContains, parseCidr, parseIpAddress } from "./ip-address";

function contains(cidr: string, address: string): boolean {
  const block = parseCidr(cidr);
  const ip = parseIpAddress(address);
  if (!block || !ip) throw new Error(`bad test input ${cidr} ${address}`);
  return cidrContains(block, ip);
}

describe("IP addresses and CIDR blocks", () => {
  it.each([
    ["10.0.0.0/8", "10.255.1.2", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["192.168.1.0/24", "192.168.1.255", true],
    ["192.168.1.0/24", "192.168.2.0", false],
    ["203.0.113.7", "203.0.113.7", true],
    ["203.0.113.7", "203.0.113.8", false],
    ["203.0.113.7/24", "203.0.113.200", true],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["0.0.0.0/0", "2001:db8::1", false],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["::1", "::1", true],
    ["::/0", "fe80::1%eth0", true],
    ["2001:db8::/127", "2001:db8::1", true],
    ["2001:db8::/128", "2001:db8::1", false],
    ["10.0.0.0/8", "::ffff:10.1.2.3", true],
    ["10.0.0.0/8", "::ffff:a01:203", true],
    ["1:2:3:4:5:6:7:8/128", "1:2:3:4:5:6:7:8", true],
    ["64:ff9b::/96", "64:ff9b::192.0.2.33", true],
  ])("%s contains %s: %s", (cidr, address, expected) => {
    expect(contains(cidr, address)).toBe(expected);
  });

  it.each([
    "256.0.0.1",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.2.3.4/33",
    "1.2.3.4/",
    "1.2.3.4/08",
    "2001:db8::/129",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "1:2:3:4:5:6:7",
    "12345::",
    "1.2.3.4::",
    "gggg::",
    "",
    "localhost",
    "fe80::1%eth0",
  ])("refuses %j as a CIDR block", (text) => {
    expect(parseCidr(text)).toBeNull();
  });

  it("normalises IPv4-mapped IPv6 addresses to IPv4", () => {
    expect(parseIpAddress("::ffff:127.0.0.1")).toEqual({ version: 4, value: 0x7f000001n });
    expect(parseIpAddress("::1")).toEqual({ version: 6, value: 1n });
  });
});
