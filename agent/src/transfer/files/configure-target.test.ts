import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configureTarget } from "./configure-target";

const OLD_ROOT = "0a1b2c3d-1111-4222-8333-444455556666";
const NEW_ROOT = "9f8e7d6c-aaaa-4bbb-8ccc-ddddeeeeffff";
const OLD_BOOT = "1234-ABCD";
const NEW_BOOT = "5678-EF01";
const OLD_MAC = "52:54:00:12:34:56";
const NEW_MAC = "fa:16:3e:aa:bb:cc";
const GONE_MAC = "52:54:00:99:99:99";

let root: string;

function put(rel: string, text: string, mode = 0o644): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  fs.chmodSync(p, mode);
}

const read = (rel: string) => fs.readFileSync(path.join(root, rel), "utf8");

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-configure-"));
  put("etc/fstab", `# <file system> <mount point>\nUUID=${OLD_ROOT} / ext4 errors=remount-ro 0 1\nUUID=${OLD_BOOT} /boot/efi vfat umask=0077 0 1\n/dev/sda3 none swap sw 0 0\n/dev/sda10 /data xfs defaults 0 2\n`);
  put("etc/default/grub", `GRUB_CMDLINE_LINUX="root=UUID=${OLD_ROOT} resume=/dev/sda3 quiet"\n`);
  put(
    "boot/grub/grub.cfg",
    `menuentry 'Debian' {\n  search --no-floppy --fs-uuid --set=root ${OLD_ROOT}\n  linux /vmlinuz root=UUID=${OLD_ROOT} ro quiet\n}\n`,
    0o600,
  );
  put("boot/loader/entries/abc-6.1.conf", `options root=UUID=${OLD_ROOT.toUpperCase()} ro\n`);
  put("etc/udev/rules.d/70-persistent-net.rules", `SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="${OLD_MAC}", NAME="eth0"\nSUBSYSTEM=="net", ACTION=="add", ATTR{address}=="${GONE_MAC}", NAME="eth1"\n`);
  put("etc/NetworkManager/system-connections/Wired.nmconnection", `[connection]\nid=Wired\n[ethernet]\nmac-address=${OLD_MAC.toUpperCase()}\n[ipv4]\nmethod=auto\n`, 0o600);
  put("etc/sysconfig/network-scripts/ifcfg-eth1", `DEVICE=eth1\nHWADDR=${GONE_MAC}\nBOOTPROTO=dhcp\n`);
  put(
    "etc/netplan/50-cloud-init.yaml",
    `network:\n  version: 2\n  ethernets:\n    eth0:\n      match:\n        macaddress: ${OLD_MAC}\n      set-name: eth0\n      dhcp4: true\n    eth1:\n      dhcp4: true\n      match:\n        macaddress: ${GONE_MAC}\n      set-name: eth1\n`,
  );
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("configure-target", () => {
  const options = () => ({
    root,
    uuidMap: { [OLD_ROOT]: NEW_ROOT, [OLD_BOOT]: NEW_BOOT },
    deviceMap: { "/dev/sda3": "/dev/vda3", "/dev/sda1": "/dev/vda1" },
    macMap: { [OLD_MAC]: NEW_MAC },
  });

  it("rewrites UUIDs and devices in fstab and the boot loader, and lists each change", () => {
    const changes = configureTarget(options());
    expect(read("etc/fstab")).toBe(`# <file system> <mount point>\nUUID=${NEW_ROOT} / ext4 errors=remount-ro 0 1\nUUID=${NEW_BOOT} /boot/efi vfat umask=0077 0 1\n/dev/vda3 none swap sw 0 0\n/dev/sda10 /data xfs defaults 0 2\n`);
    expect(read("etc/default/grub")).toBe(`GRUB_CMDLINE_LINUX="root=UUID=${NEW_ROOT} resume=/dev/vda3 quiet"\n`);
    expect(read("boot/grub/grub.cfg")).not.toContain(OLD_ROOT);
    expect(read("boot/grub/grub.cfg").match(new RegExp(NEW_ROOT, "g"))).toHaveLength(2);
    expect(read("boot/loader/entries/abc-6.1.conf")).toContain(`root=UUID=${NEW_ROOT}`);
    expect(fs.statSync(path.join(root, "boot/grub/grub.cfg")).mode & 0o777).toBe(0o600);
    expect(changes.filter((c) => c.file === "/etc/fstab").map((c) => c.line)).toEqual([2, 3, 4]);
    expect(changes.find((c) => c.file === "/etc/default/grub")!.reason).toContain("device /dev/sda3 → /dev/vda3");
  });

  it("updates mapped MAC pins and removes pins of interfaces the new machine does not have", () => {
    const changes = configureTarget(options());
    expect(read("etc/udev/rules.d/70-persistent-net.rules")).toBe(`SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="${NEW_MAC}", NAME="eth0"\n`);
    expect(read("etc/NetworkManager/system-connections/Wired.nmconnection")).toContain(`mac-address=${NEW_MAC}\n`);
    expect(read("etc/sysconfig/network-scripts/ifcfg-eth1")).toBe("DEVICE=eth1\nBOOTPROTO=dhcp\n");
    expect(read("etc/netplan/50-cloud-init.yaml")).toBe(
      `network:\n  version: 2\n  ethernets:\n    eth0:\n      match:\n        macaddress: ${NEW_MAC}\n      set-name: eth0\n      dhcp4: true\n    eth1:\n      dhcp4: true\n`,
    );
    expect(changes.filter((c) => c.after === null).map((c) => c.file)).toEqual([
      "/etc/udev/rules.d/70-persistent-net.rules",
      "/etc/sysconfig/network-scripts/ifcfg-eth1",
      "/etc/netplan/50-cloud-init.yaml",
      "/etc/netplan/50-cloud-init.yaml",
      "/etc/netplan/50-cloud-init.yaml",
    ]);
  });

  it("changes nothing on a dry run, and nothing more on a second run", () => {
    const before = read("etc/fstab");
    expect(configureTarget({ ...options(), isDryRun: true }).length).toBeGreaterThan(5);
    expect(read("etc/fstab")).toBe(before);
    configureTarget(options());
    expect(configureTarget(options())).toEqual([]);
  });
});
