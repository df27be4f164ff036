import { UserError } from "../errors";
import { type SourceReport, parseSourceReport } from "../protocol/v1/report";
import { AGENT_VERSION } from "./agent-version";
import { readBlockDevices } from "./block-devices";
import { readBootLoader } from "./boot-loader";
import { readBtrfsSubvolumes } from "./btrfs";
import { readCpu, readMemoryBytes } from "./cpu-memory";
import { readDisks } from "./disks";
import { readFirmware } from "./firmware";
import { type Host, createSystemHost } from "./host";
import { readGlibc, readKernel } from "./kernel";
import { readLvm } from "./lvm";
import { readMdRaid } from "./md-raid";
import { readMounts } from "./mounts";
import { readNetwork } from "./network";
import { readOs } from "./os-release";
import { sharedMountsFrom } from "./shared-mounts";
import { readSwap } from "./swap";
import { readTools } from "./tools";

export type DiscoverOptions = {
  host?: Host;
  now?: () => Date;
};

/** Reads what a source server would report; what cannot be read is null and explained in notes. */
export async function discover(options: DiscoverOptions = {}): Promise<SourceReport> {
  const host = options.host ?? createSystemHost();
  if (host.platform === "win32") {
    throw new UserError("Windows sources are not supported by this agent: run it on a Linux source server.");
  }
  if (host.platform !== "linux") {
    throw new UserError(`${host.platform} sources are not supported by this agent: run it on a Linux source server.`);
  }
  const notes: string[] = [];
  const mounts = await readMounts(host, notes);
  const devices = await readBlockDevices(host, notes);
  const cpu = await readCpu(host, notes);
  const rootUsage = await host.statfs("/");
  if (rootUsage === null) notes.push("could not read the free space of the root file system");

  const report: SourceReport = {
    hostname: host.hostname().slice(0, 255) || "localhost",
    os: await readOs(host, notes),
    kernel: await readKernel(host, notes),
    glibc: await readGlibc(host, notes),
    arch: host.machine() || null,
    firmware: await readFirmware(host, notes),
    cpu,
    memoryBytes: await readMemoryBytes(host, notes),
    disks: await readDisks(host, devices, mounts, notes),
    lvm: await readLvm(host, devices, mounts, notes),
    mdRaid: await readMdRaid(host),
    btrfsSubvolumes: await readBtrfsSubvolumes(host, mounts, notes),
    swap: await readSwap(host, notes),
    network: await readNetwork(host, notes),
    bootLoader: await readBootLoader(host, notes),
    sharedMounts: sharedMountsFrom(mounts),
    tools: await readTools(host),
    rootFreeBytes: rootUsage?.freeBytes ?? null,
    agentVersion: AGENT_VERSION,
    collectedAt: (options.now?.() ?? new Date()).toISOString(),
    notes: notes.slice(0, 200).map((note) => note.slice(0, 1000)),
  };
  const parsed = parseSourceReport(report);
  // Discovery only writes what the schema allows, so a refusal here is a bug, not the user's doing.
  if (!parsed.ok) throw new Error(`discovery produced a report the console would refuse: ${parsed.reason}`);
  return parsed.report;
}
