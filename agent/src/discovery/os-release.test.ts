import { describe, expect, it } from "vitest";
import { parseLegacyRelease, parseOsRelease } from "./os-release";

describe("parseOsRelease", () => {
  it("reads quoted, single-quoted and bare values and skips comments", () => {
    const fields = parseOsRelease(
      ['# comment', 'NAME="CentOS Linux"', "VERSION='7 (Core)'", "ID=centos", 'ID_LIKE="rhel fedora"', 'VERSION_ID="7"', 'PRETTY_NAME="A \\"quoted\\" name"', "garbage line"].join("\n"),
    );
    expect(fields).toMatchObject({ NAME: "CentOS Linux", VERSION: "7 (Core)", ID: "centos", VERSION_ID: "7", PRETTY_NAME: 'A "quoted" name' });
    expect(Object.keys(fields)).not.toContain("garbage");
  });
});

describe("parseLegacyRelease", () => {
  it("reads CentOS 6 from /etc/redhat-release", () => {
    expect(parseLegacyRelease("/etc/redhat-release", "CentOS release 6.10 (Final)\n")).toMatchObject({
      id: "centos",
      versionId: "6.10",
      name: "CentOS",
    });
  });

  it("reads RHEL from /etc/redhat-release", () => {
    expect(parseLegacyRelease("/etc/redhat-release", "Red Hat Enterprise Linux Server release 6.9 (Santiago)")).toMatchObject({
      id: "rhel",
      versionId: "6.9",
    });
  });

  it("reads SLES 11 SP4 from /etc/SuSE-release", () => {
    const text = "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n";
    expect(parseLegacyRelease("/etc/SuSE-release", text)).toMatchObject({ id: "sles", versionId: "11.4" });
  });
});
