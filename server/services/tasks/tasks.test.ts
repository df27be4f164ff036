import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceCommands, sourceServers, tasks } from "@/drizzle/schema";
import { SMS_READ_ONLY_ACCESS } from "../../authz/system-policies";
import type { Database } from "../../db";
import { createTestAccount, createTestUser } from "../../testing/fixtures";
import { blockTaskInput, createTaskWorld, type TaskWorld } from "../../testing/task-world";
import { obtainTestPassCertificate } from "../../testing/pass-certificates";
import { createTestDatabase } from "../../testing/test-db";
import { ackCommand, pollCommands, reportCommandResult } from "../servers/commands";
import { recordHeartbeat } from "../servers/heartbeat";
import { createServerTemplate } from "../templates/server-templates";
import { listServers } from "../servers/list";
import { deleteTask, launchTask, setTaskContinuousSync, startTask, stopTask, syncTask } from "./actions";
import { recordTaskProgress } from "./agent-reports";
import { createTask } from "./create";
import { COMMAND_WORK_MS, getTask, listTasks, settleStaleTasks } from "./read";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

async function takeCommand(world: TaskWorld, agentId: string, type: string) {
  const { commands } = await pollCommands(world.ctx, { agentId, waitSeconds: 0 });
  const command = commands.find((c) => c.type === type);
  expect(command, `${type} for ${agentId}`).toBeDefined();
  return command!;
}

const progress = (world: TaskWorld, taskId: string, passId: string, bytesDone: number) =>
  recordTaskProgress(world.ctx, {
    agentId: world.sourceAgentId,
    taskId,
    passId,
    phase: "copy",
    bytesTotal: 1000,
    bytesDone,
    bytesSent: bytesDone,
    rateBytesPerSecond: 100,
    disks: [{ name: "disk0", bytesDone, bytesTotal: 1000 }],
    host: { cpuPercent: 10, memoryUsedBytes: 1, memoryTotalBytes: 2, diskReadBytesPerSecond: 3 },
    agent: { cpuPercent: 5, rssBytes: 100 },
  });

/** The target agent's part of task_receive: its certificate for the pass, then "listening at address". */
async function listen(world: TaskWorld, receive: { id: string; payload: Record<string, unknown> }, address = "10.0.0.2:45000") {
  const pass = { taskId: String(receive.payload.taskId), passId: String(receive.payload.passId) };
  const certificate = await obtainTestPassCertificate(world.ctx, { agentId: world.targetAgentId, ...pass, role: "target" });
  await reportCommandResult(world.ctx, { agentId: world.targetAgentId, commandId: receive.id, outcome: "succeeded", result: { message: "listening", details: { address } } });
  return certificate;
}

/** Plays both agents through one pass: receive → send (with progress) → verified. */
async function runPass(world: TaskWorld, taskId: string) {
  const receive = await takeCommand(world, world.targetAgentId, "task_receive");
  expect(receive.payload).toMatchObject({ taskId, mode: "block" });
  expect(receive.payload).not.toHaveProperty("token");
  const target = await listen(world, receive);
  const send = await takeCommand(world, world.sourceAgentId, "task_send");
  expect(send.payload).toMatchObject({ taskId, targetAddress: "10.0.0.2:45000", targetCertPem: target.certPem, passId: receive.payload.passId });
  expect(send.payload).not.toHaveProperty("token");
  expect(await progress(world, taskId, String(send.payload.passId), 400)).toMatchObject({ shouldContinue: true });
  await reportCommandResult(world.ctx, {
    agentId: world.sourceAgentId,
    commandId: send.id,
    outcome: "succeeded",
    result: { message: "done", details: { bytesTotal: 1000, bytesSent: 1000, verifiedCount: 4, totalCount: 4, summary: "verified 4 of 4 chunks" } },
  });
  return { receive, send };
}

describe("migration tasks", () => {
  it("runs a full migration, a sync and a launch through the agents' commands", async () => {
    const world = await createTaskWorld(database.db);
    const cycle = async () => (await listServers(world.ctx, {})).items.find((s) => s.id === world.sourceServerId)?.migrationCycle;
    expect(await cycle()).toBe("checking");
    const created = await createTask(world.ctx, blockTaskInput(world));
    expect(created.state).toBe("READY");
    expect(await cycle()).toBe("setting");
    let task = await startTask(world.ctx, { taskId: created.id, version: created.version });
    expect(task.state).toBe("RUNNING");
    expect(await cycle()).toBe("replicating");
    const first = await runPass(world, created.id);
    let detail = await getTask(world.ctx, { taskId: created.id });
    expect(detail).toMatchObject({ state: "MIGRATE_SUCCESS", verification: "verified 4 of 4 chunks", progressPercent: 100 });
    expect(detail.subtasks.find((s) => s.name === "migrate_system_disk")?.state).toBe("succeeded");
    expect(detail.samples).toHaveLength(1);

    task = await syncTask(world.ctx, { taskId: created.id, version: detail.version });
    expect(task.state).toBe("SYNCING");
    const second = await runPass(world, created.id);
    expect(second.receive.payload.passId).not.toBe(first.receive.payload.passId);
    expect(second.send.payload.targetCertPem).not.toBe(first.send.payload.targetCertPem);
    expect(second.receive.payload.isSync).toBe(true);
    detail = await getTask(world.ctx, { taskId: created.id });
    expect(detail.state).toBe("MIGRATE_SUCCESS");

    task = await launchTask(world.ctx, { taskId: created.id, version: detail.version });
    expect(task.state).toBe("LAUNCHING");
    const launch = await takeCommand(world, world.targetAgentId, "task_launch");
    await reportCommandResult(world.ctx, { agentId: world.targetAgentId, commandId: launch.id, outcome: "succeeded", result: { message: "configured" } });
    detail = await getTask(world.ctx, { taskId: created.id });
    expect(detail.state).toBe("LAUNCHED");
    expect(await cycle()).toBe("cutovered");
    expect(detail.events.map((e) => e.message).join("\n")).toMatch(/launched/i);

    await deleteTask(world.ctx, { taskId: created.id, version: detail.version });
    const cleanup = await takeCommand(world, world.targetAgentId, "task_cleanup");
    expect(cleanup.payload).toEqual({ taskId: created.id });
    await expect(getTask(world.ctx, { taskId: created.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // The cleanup's result for a task that no longer exists changes nothing and fails nothing.
    await reportCommandResult(world.ctx, { agentId: world.targetAgentId, commandId: cleanup.id, outcome: "succeeded", result: { message: "removed" } });
  });

  it("continuous sync starts the next pass from the source's heartbeat once the interval has passed", async () => {
    const world = await createTaskWorld(database.db);
    const settings = { ...blockTaskInput(world).settings, continuousSync: true };
    const created = await createTask(world.ctx, { ...blockTaskInput(world, { settings }), startNow: true });
    await runPass(world, created.id);
    expect((await getTask(world.ctx, { taskId: created.id })).state).toBe("MIGRATE_SUCCESS");
    // A heartbeat right after the pass starts nothing: the interval has not passed.
    await recordHeartbeat(world.ctx, { agentId: world.sourceAgentId });
    expect((await getTask(world.ctx, { taskId: created.id })).state).toBe("MIGRATE_SUCCESS");
    await database.db.update(tasks).set({ finishedAt: new Date(Date.now() - 3600_000) }).where(eq(tasks.id, created.id));
    await recordHeartbeat(world.ctx, { agentId: world.sourceAgentId });
    const detail = await getTask(world.ctx, { taskId: created.id });
    expect(detail.state).toBe("SYNCING");
    const receive = await takeCommand(world, world.targetAgentId, "task_receive");
    expect(receive.payload.isSync).toBe(true);
  });

  it("launch with a final sync runs one more verified pass, then launches", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, { ...blockTaskInput(world), startNow: true });
    await runPass(world, created.id);
    const migrated = await getTask(world.ctx, { taskId: created.id });
    await expect(launchTask(world.ctx, { taskId: created.id, version: migrated.version, finalSync: true })).resolves.toMatchObject({ state: "SYNCING" });
    const { receive } = await runPass(world, created.id);
    expect(receive.payload.isSync).toBe(true);
    expect((await getTask(world.ctx, { taskId: created.id })).state).toBe("LAUNCHING");
    await takeCommand(world, world.targetAgentId, "task_launch");
  });

  it("continuous sync can be turned off and on, for block level only", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, blockTaskInput(world));
    const on = await setTaskContinuousSync(world.ctx, { taskId: created.id, version: created.version, isOn: true });
    expect((await getTask(world.ctx, { taskId: created.id })).settings.continuousSync).toBe(true);
    await setTaskContinuousSync(world.ctx, { taskId: created.id, version: on.version, isOn: false });
    expect((await getTask(world.ctx, { taskId: created.id })).settings.continuousSync).toBe(false);
    await expect(setTaskContinuousSync(world.ctx, { taskId: created.id, version: on.version, isOn: true })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("the launch carries a server template's host name and static address to the target", async () => {
    const world = await createTaskWorld(database.db);
    const template = await createServerTemplate(world.ctx, {
      name: "static",
      targetServerId: world.targetServerId,
      settings: { diskMappingPolicy: "in-order", network: { mode: "static", address: "10.9.0.7/24", gateway: "10.9.0.1", dns: ["10.9.0.2"] }, hostname: "web-new" },
    });
    const created = await createTask(world.ctx, { ...blockTaskInput(world, { serverTemplateId: template.id }), startNow: true });
    await runPass(world, created.id);
    const detail = await getTask(world.ctx, { taskId: created.id });
    await launchTask(world.ctx, { taskId: created.id, version: detail.version });
    const launch = await takeCommand(world, world.targetAgentId, "task_launch");
    expect(launch.payload).toMatchObject({ hostname: "web-new", network: { address: "10.9.0.7/24", gateway: "10.9.0.1", dns: ["10.9.0.2"] } });
  });

  it("a failed copy says why in plain words and can be started again", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, { ...blockTaskInput(world), startNow: true });
    const receive = await takeCommand(world, world.targetAgentId, "task_receive");
    await reportCommandResult(world.ctx, { agentId: world.targetAgentId, commandId: receive.id, outcome: "failed", result: { message: "disk /dev/sdb is busy" } });
    const detail = await getTask(world.ctx, { taskId: created.id });
    expect(detail.state).toBe("MIGRATE_FAIL");
    expect(detail.errorMessage).toContain("disk /dev/sdb is busy");
    expect(detail.events[0]).toMatchObject({ level: "error" });
    expect(detail.events[0]!.hint).toBeTruthy();
    await expect(startTask(world.ctx, { taskId: created.id, version: detail.version })).resolves.toMatchObject({ state: "RUNNING" });
  });

  it("a target that listens without a certificate for the pass fails it, and the source is told nothing", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, { ...blockTaskInput(world), startNow: true });
    const receive = await takeCommand(world, world.targetAgentId, "task_receive");
    await reportCommandResult(world.ctx, { agentId: world.targetAgentId, commandId: receive.id, outcome: "succeeded", result: { message: "ok", details: { address: "10.0.0.2:1" } } });
    const detail = await getTask(world.ctx, { taskId: created.id });
    expect(detail.state).toBe("MIGRATE_FAIL");
    expect(detail.errorMessage).toMatch(/without a certificate for this pass/);
    const { commands } = await pollCommands(world.ctx, { agentId: world.sourceAgentId, waitSeconds: 0 });
    expect(commands.filter((c) => c.type === "task_send")).toEqual([]);
  });

  it("two tabs acting on the same version: exactly one wins, the other gets CONFLICT", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, blockTaskInput(world));
    const results = await Promise.allSettled([
      startTask(world.ctx, { taskId: created.id, version: created.version }),
      startTask(world.ctx, { taskId: created.id, version: created.version }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({ code: "CONFLICT" });
    const { commands } = await pollCommands(world.ctx, { agentId: world.targetAgentId, waitSeconds: 0 });
    expect(commands.filter((c) => c.type === "task_receive")).toHaveLength(1);
  });

  it("refuses illegal transitions with a reason", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, blockTaskInput(world));
    await expect(launchTask(world.ctx, { taskId: created.id, version: created.version })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/only after the migration succeeded/) });
    await expect(syncTask(world.ctx, { taskId: created.id, version: created.version })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("stopping tells both agents and ends in ABORT; progress of the stopped pass is told to stop", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, { ...blockTaskInput(world), startNow: true });
    const receive = await takeCommand(world, world.targetAgentId, "task_receive");
    await listen(world, receive, "10.0.0.2:1");
    const send = await takeCommand(world, world.sourceAgentId, "task_send");
    const running = await getTask(world.ctx, { taskId: created.id });
    await stopTask(world.ctx, { taskId: created.id, version: running.version });
    expect(await progress(world, created.id, String(send.payload.passId), 10)).toMatchObject({ shouldContinue: false });
    await takeCommand(world, world.targetAgentId, "task_abort");
    const abort = await takeCommand(world, world.sourceAgentId, "task_abort");
    await reportCommandResult(world.ctx, { agentId: world.sourceAgentId, commandId: abort.id, outcome: "succeeded", result: { message: "stopped" } });
    expect((await getTask(world.ctx, { taskId: created.id })).state).toBe("ABORT");
  });

  it("a task whose agents stop reporting is marked failed, never left RUNNING", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, { ...blockTaskInput(world), startNow: true });
    await database.db.update(tasks).set({ updatedAt: new Date(Date.now() - 10 * 60_000) }).where(eq(tasks.id, created.id));
    await settleStaleTasks(database.db, world.account.id);
    const detail = await getTask(world.ctx, { taskId: created.id });
    expect(detail.state).toBe("MIGRATE_FAIL");
    expect(detail.events[0]!.message).toMatch(/Nothing was heard from the agents/);
  });

  it("a task whose target is still preparing (its receive acknowledged, its heartbeats coming) is not stale, for up to 30 minutes", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, { ...blockTaskInput(world), startNow: true });
    const receive = await takeCommand(world, world.targetAgentId, "task_receive");
    await ackCommand(world.ctx, { agentId: world.targetAgentId, commandId: receive.id });
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await database.db.update(tasks).set({ updatedAt: longAgo }).where(eq(tasks.id, created.id));
    const targetServer = eq(sourceServers.id, (await database.db.select().from(sourceCommands).where(eq(sourceCommands.id, receive.id)))[0]!.serverId);
    await database.db.update(sourceServers).set({ lastHeartbeatAt: new Date() }).where(targetServer);
    await settleStaleTasks(database.db, world.account.id);
    expect((await getTask(world.ctx, { taskId: created.id })).state).toBe("RUNNING");

    // Working on it for longer than any preparation takes: stale even with heartbeats.
    await database.db.update(sourceCommands).set({ ackedAt: new Date(Date.now() - COMMAND_WORK_MS - 60_000) }).where(eq(sourceCommands.id, receive.id));
    await settleStaleTasks(database.db, world.account.id);
    expect((await getTask(world.ctx, { taskId: created.id })).state).toBe("MIGRATE_FAIL");
  });

  it("a task whose preparing target stopped sending heartbeats is marked failed", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, { ...blockTaskInput(world), startNow: true });
    const receive = await takeCommand(world, world.targetAgentId, "task_receive");
    await ackCommand(world.ctx, { agentId: world.targetAgentId, commandId: receive.id });
    await database.db.update(tasks).set({ updatedAt: new Date(Date.now() - 10 * 60_000) }).where(eq(tasks.id, created.id));
    const [command] = await database.db.select().from(sourceCommands).where(eq(sourceCommands.id, receive.id));
    await database.db.update(sourceServers).set({ lastHeartbeatAt: new Date(Date.now() - 10 * 60_000) }).where(eq(sourceServers.id, command!.serverId));
    await settleStaleTasks(database.db, world.account.id);
    expect((await getTask(world.ctx, { taskId: created.id })).state).toBe("MIGRATE_FAIL");
  });

  it("refuses bad wizard input with clear messages and creates nothing", async () => {
    const world = await createTaskWorld(database.db);
    await expect(createTask(world.ctx, blockTaskInput(world, { diskMapping: [{ sourceDisk: "/dev/vda", targetDisk: "/dev/sdd" }] }))).rejects.toThrow(/smaller than source disk/);
    await expect(createTask(world.ctx, blockTaskInput(world, { sourceServerId: "" }))).rejects.toThrow(/Choose a source server/);
    await expect(
      createTask(world.ctx, blockTaskInput(world, { settings: { ...blockTaskInput(world).settings, limitMbps: -1 } })),
    ).rejects.toThrow(/more than 0/);
    await expect(
      createTask(world.ctx, blockTaskInput(world, { diskMapping: [{ sourceDisk: "/dev/vda", targetDisk: "/dev/sdc" }, { sourceDisk: "/dev/vdb", targetDisk: "/dev/sdc" }] })),
    ).rejects.toThrow(/same target disk/);
    await database.db.update(sourceServers).set({ lastHeartbeatAt: new Date(Date.now() - 3600_000) }).where(eq(sourceServers.id, world.sourceServerId));
    await expect(createTask(world.ctx, blockTaskInput(world))).rejects.toThrow(/offline/);
    expect(await listTasks(world.ctx)).toEqual([]);
  });

  it("a read-only user sees tasks but cannot start, stop or launch them; another account sees nothing", async () => {
    const world = await createTaskWorld(database.db);
    const created = await createTask(world.ctx, blockTaskInput(world));
    const readOnly = await createTestUser(database.db, world.account.id, { policyIds: [SMS_READ_ONLY_ACCESS.id] });
    expect((await listTasks(readOnly.ctx)).map((t) => t.id)).toEqual([created.id]);
    await expect(startTask(readOnly.ctx, { taskId: created.id, version: created.version })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(launchTask(readOnly.ctx, { taskId: created.id, version: created.version })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const other = await createTestAccount(database.db);
    expect(await listTasks(other.ctx)).toEqual([]);
    await expect(getTask(other.ctx, { taskId: created.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(startTask(other.ctx, { taskId: created.id, version: created.version })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
