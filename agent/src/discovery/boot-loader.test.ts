import { describe, expect, it } from "vitest";
import { parseOtherSystems } from "./boot-loader";

describe("parseOtherSystems", () => {
  it("finds the entries os-prober added for other operating systems", () => {
    const config = `menuentry 'Ubuntu' --class ubuntu {
}
menuentry 'Windows Boot Manager (on /dev/sda1)' --class windows --class os $menuentry_id_option 'osprober-efi-1234' {
}
menuentry "Debian GNU/Linux 11 (bullseye) (on /dev/sdb2)" --class gnu-linux {
}
`;
    expect(parseOtherSystems(config)).toEqual(["Windows Boot Manager (on /dev/sda1)", "Debian GNU/Linux 11 (bullseye) (on /dev/sdb2)"]);
  });

  it("finds none on a single-OS machine", () => {
    expect(parseOtherSystems("menuentry 'CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)' {\n}\n")).toEqual([]);
  });
});
