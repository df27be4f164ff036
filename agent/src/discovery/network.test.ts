import { describe, expect, it } from "vitest";
import { ipv6FromHex, parseIpv4DefaultGateways, parseIpv6DefaultGateways } from "./network";

describe("parseIpv4DefaultGateways", () => {
  it("reads the default route's little-endian gateway and ignores on-link routes", () => {
    const text = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth1\t0000000A\t0100000A\t0003\t0\t0\t0\t000000FF\t0\t0\t0
`;
    expect([...parseIpv4DefaultGateways(text)]).toEqual([["eth0", "192.0.2.1"]]);
  });
});

describe("parseIpv6DefaultGateways", () => {
  it("reads the ::/0 route with a next hop and the gateway flag", () => {
    const text = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`;
    expect([...parseIpv6DefaultGateways(text)]).toEqual([["eth0", "fe80::1"]]);
  });
});

describe("ipv6FromHex", () => {
  it("compresses the longest run of zero groups", () => {
    expect(ipv6FromHex("fd000000000000000000000000000001")).toBe("fd00::1");
    expect(ipv6FromHex("20010db8000000010000000000000001")).toBe("2001:db8:0:1::1");
    expect(ipv6FromHex("00000000000000000000000000000000")).toBe("::");
  });
});
