import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LayoutDisk } from "@/agent/src/protocol/v1/disk-layout";
import type { SourceReport } from "@/agent/src/protocol/v1/report";
import { describePreparation, taskReceivePayloadSchema, type PreparationReport } from "@/agent/src/protocol/v1/tasks";
import type { Database } from "../../db";
import debian12 from "../servers/fixtures/debian-12.json";
import { blockTaskInput, createTaskWorld, type TaskWorld } from "../../testing/task-world";
import { obtainTestPassCertificate } from "../../testing/pass-certificates";
import { createTestDatabase } from "../../testing/test-db";
import { pollCommands, reportCommandResult } from "../servers/commands";
import { DEFAULT_MIGRATION_SETTINGS } from "../templates/schemas";
import { launchTask, startTask, syncTask } from "./actions";
import { createTask } from "./create";
import { getTask, listTasks } from "./read";
import { disksToPrepare, preparationProblems, targetDisksFor } from "./target-preparation";

// The task world's source (the Debian 12 fixture) has /dev/vda (GPT: BIOS boot, / ext4, swap;
// 100 GiB) and /dev/vdb (xfs on the whole disk at /var/lib/postgresql, 500 GiB); its target offers
// the block devices /dev/sdb 120 GiB, /dev/sdc 600 GiB and /dev/sdd 50 GiB.

const GiB = 1024 ** 3;
const sourceDisks = (debian12 as unknown as SourceReport).disks;
const ONTO_DISKS = [
  { sourceDisk: "/dev/vda", targetDisk: "/dev/sdb" },
  { sourceDisk: "/dev/vdb", targetDisk: "/dev/sdc" },
];

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

function ontoDisksInput(world: TaskWorld, overrides: Record<string, unknown> = {}) {
  return blockTaskInput(world, { settings: { ...DEFAULT_MIGRATION_SETTINGS, mode: "file" }, fileTarget: "disks", diskMapping: ONTO_DISKS, sourceRoot: "/", ...overrides });
}

async function takeCommand(world: TaskWorld, agentId: string, type: string) {
  const { commands } = await pollCommands(world.ctx, { agentId, waitSeconds: 0 });
  const command = commands.find((c) => c.type === type);
  expect(command, `${type} for ${agentId}`).toBeDefined();
  return command!;
}

/** What the target agent answers once it prepared (or found prepared) its disks and listens. */
async function answerReceive(world: TaskWorld, receive: { id: string; payload: Record<string, unknown> }, preparation: PreparationReport) {
  await obtainTestPassCertificate(world.ctx, { agentId: world.targetAgentId, taskId: String(receive.payload.taskId), passId: String(receive.payload.passId), role: "target" });
  await reportCommandResult(world.ctx, { agentId: world.targetAgentId, commandId: receive.id, outcome: "succeeded", result: { message: "listening", details: { address: "10.0.0.2:45000", preparation } } });
}

async function verifySend(world: TaskWorld) {
  const send = await takeCommand(world, world.sourceAgentId, "task_send");
  expect(send.payload).toMatchObject({ mode: "file", sourceRoot: "/" });
  await reportCommandResult(world.ctx, {
    agentId: world.sourceAgentId,
    commandId: send.id,
    outcome: "succeeded",
    result: { message: "done", details: { bytesTotal: 10, bytesSent: 10, verifiedCount: 3, totalCount: 3, summary: "3 entries identical" } },
  });
}

const PREPARED: PreparationReport = {
  isReused: false,
  disks: [
    {
      device: "/dev/sdb",
      partitions: [
        { path: "/dev/sdb1", fsType: null, label: null, uuid: null, mountPoint: null },
        { path: "/dev/sdb2", fsType: "ext4", label: null, uuid: "71c3e9a2-4b5d-4e6f-8a7b-9c0d1e2f3a4b", mountPoint: "/" },
        { path: "/dev/sdb3", fsType: "swap", label: null, uuid: "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f", mountPoint: null },
      ],
    },
    { device: "/dev/sdc", partitions: [{ path: "/dev/sdc", fsType: "xfs", label: null, uuid: "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d", mountPoint: "/var/lib/postgresql" }] },
  ],
};

describe("file-level tasks onto the target's disks, prepared like the source's", () => {
  it("offers a target disk only where the layout fits on a block device, and names every source disk that holds mounted filesystems", () => {
    const target = [
      { path: "/dev/sdb", sizeBytes: 120 * GiB, kind: "device" as const },
      { path: "/dev/sdd", sizeBytes: 50 * GiB, kind: "device" as const },
      { path: "/srv/big.img", sizeBytes: 900 * GiB, kind: "file" as const },
    ];
    expect(disksToPrepare(sourceDisks).map((d) => d.path)).toEqual(["/dev/vda", "/dev/vdb"]);
    expect(targetDisksFor(sourceDisks[0]!, target).map((t) => t.path)).toEqual(["/dev/sdb"]);
    expect(preparationProblems(sourceDisks, target, [{ sourceDisk: "/dev/vda", targetDisk: "/dev/sdd" }, { sourceDisk: "/dev/vdb", targetDisk: "/srv/big.img" }])).toEqual({
      "/dev/vda": "Target disk /dev/sdd (50.0 GiB) is smaller than the layout of source disk /dev/vda (100.0 GiB). Choose a disk at least as large.",
      "/dev/vdb": "Target disk /srv/big.img is an image file: only block devices (ferry-agent target --disk /dev/…) are partitioned and mounted.",
    });
    expect(preparationProblems(sourceDisks, target, [{ sourceDisk: "/dev/vda", targetDisk: "/dev/sdb" }])).toEqual({
      "/dev/vdb": "Choose a target disk for /dev/vdb: it holds /var/lib/postgresql.",
    });
  });

  it("refuses a source whose root filesystem is on LVM, which is not recreated", () => {
    const onLvm: LayoutDisk[] = [{ ...sourceDisks[0]!, partitions: sourceDisks[0]!.partitions.map((p) => (p.mountPoint === "/" ? { ...p, fsType: "LVM2_member", mountPoint: null } : p)) }, sourceDisks[1]!];
    const target = [{ path: "/dev/sdc", sizeBytes: 600 * GiB, kind: "device" as const }];
    expect(preparationProblems(onLvm, target, [{ sourceDisk: "/dev/vdb", targetDisk: "/dev/sdc" }])[""]).toMatch(/root filesystem is on LVM or RAID/);
  });

  it("refuses bad choices with a message per field and creates nothing", async () => {
    const world = await createTaskWorld(database.db);
    await expect(createTask(world.ctx, ontoDisksInput(world, { diskMapping: [{ sourceDisk: "/dev/vda", targetDisk: "/dev/sdd" }, ONTO_DISKS[1]] }))).rejects.toThrow(
      /Target disk \/dev\/sdd \(50\.0 GiB\) is smaller than the layout of source disk \/dev\/vda/,
    );
    await expect(createTask(world.ctx, ontoDisksInput(world, { diskMapping: [ONTO_DISKS[0]] }))).rejects.toThrow(/Choose a target disk for \/dev\/vdb: it holds \/var\/lib\/postgresql/);
    await expect(createTask(world.ctx, ontoDisksInput(world, { diskMapping: [] }))).rejects.toThrow(/Map at least one source disk/);
    await expect(createTask(world.ctx, ontoDisksInput(world, { sourceRoot: "/srv" }))).rejects.toThrow(/use \/ as the source folder/);
    await expect(createTask(world.ctx, ontoDisksInput(world, { diskMapping: [ONTO_DISKS[0], { sourceDisk: "/dev/vdb", targetDisk: "/dev/sdb" }] }))).rejects.toThrow(/same target disk/);
    await expect(createTask(world.ctx, ontoDisksInput(world, { diskMapping: [ONTO_DISKS[0], { sourceDisk: "/dev/vdb", targetDisk: "/dev/nope" }] }))).rejects.toThrow(/does not offer the disk \/dev\/nope/);
    expect(await listTasks(world.ctx)).toEqual([]);
  });

  it("every pass asks the target to prepare the source's layout on the chosen disks; what it prepared goes to the task's events; the launch names no folder", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, ontoDisksInput(world, { isSameUuids: false }));
    let detail = await getTask(world.ctx, { taskId: created.id });
    expect(detail.mapping).toEqual({ mode: "file", sourceRoot: "/", targetDir: null, prepare: { disks: ONTO_DISKS, isSameUuids: false } });
    expect(detail.events.at(-1)!.message).toContain("onto the target's disks prepared like the source's (/dev/vda → /dev/sdb, /dev/vdb → /dev/sdc; new filesystem UUIDs)");

    await startTask(world.ctx, { taskId: created.id, version: created.version });
    const receive = await takeCommand(world, world.targetAgentId, "task_receive");
    // What the target agent parses, with the source's layout as its latest report has it.
    const payload = taskReceivePayloadSchema.parse(receive.payload);
    expect(payload).toMatchObject({ mode: "file", isSync: false, outDir: null, disks: [] });
    expect(payload.prepare).toEqual({
      disks: [
        { source: sourceDisks[0], targetPath: "/dev/sdb" },
        { source: sourceDisks[1], targetPath: "/dev/sdc" },
      ],
      isSameUuids: false,
    });
    await answerReceive(world, receive, PREPARED);
    detail = await getTask(world.ctx, { taskId: created.id });
    expect(detail.events.map((e) => e.message)).toContain(`Target disks: ${describePreparation(PREPARED)}`);
    expect(describePreparation(PREPARED)).toContain("/dev/sdb (/dev/sdb1 no filesystem; /dev/sdb2 ext4 UUID 71c3e9a2-4b5d-4e6f-8a7b-9c0d1e2f3a4b at /;");
    await verifySend(world);

    detail = await getTask(world.ctx, { taskId: created.id });
    await syncTask(world.ctx, { taskId: created.id, version: detail.version });
    const again = await takeCommand(world, world.targetAgentId, "task_receive");
    expect(taskReceivePayloadSchema.parse(again.payload)).toMatchObject({ isSync: true, prepare: { isSameUuids: false, disks: [{ targetPath: "/dev/sdb" }, { targetPath: "/dev/sdc" }] } });
    await answerReceive(world, again, { ...PREPARED, isReused: true });
    expect((await getTask(world.ctx, { taskId: created.id })).events.map((e) => e.message).join("\n")).toContain("Target disks: Prepared by an earlier pass and mounted");
    await verifySend(world);

    detail = await getTask(world.ctx, { taskId: created.id });
    await launchTask(world.ctx, { taskId: created.id, version: detail.version });
    const launch = await takeCommand(world, world.targetAgentId, "task_launch");
    expect(launch.payload).toMatchObject({ mode: "file", outDir: null });
  });

  it("a folder task's task_receive carries no preparation, so older target agents still take it", async () => {
    const world = await createTaskWorld(database.db);
    await createTask(world.ctx, { ...blockTaskInput(world, { settings: { ...DEFAULT_MIGRATION_SETTINGS, mode: "file" }, diskMapping: [] }), startNow: true });
    const receive = await takeCommand(world, world.targetAgentId, "task_receive");
    expect(receive.payload).not.toHaveProperty("prepare");
    expect(receive.payload.outDir).toMatch(/^\/srv\/ferry\//);
  });
});
