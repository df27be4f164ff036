import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessKeys, groups, policies, sourceServers, users } from "@/drizzle/schema";
import type { SourceReport } from "@/agent/src/protocol/v1/report";
import { isAction } from "../authz/actions";
import { SMS_READ_ONLY_ACCESS } from "../authz/system-policies";
import type { Database } from "../db";
import { createAccessKey } from "../services/iam/access-keys";
import { createGroup } from "../services/iam/groups";
import { createPolicy } from "../services/iam/policies";
import debian12 from "../services/servers/fixtures/debian-12.json";
import { uploadAgentLog } from "../services/servers/logs";
import { registerSourceServer, registerTargetServer } from "../services/servers/register";
import { createMigrationTemplate } from "../services/templates/migration-templates";
import { DEFAULT_MIGRATION_SETTINGS } from "../services/templates/schemas";
import { createServerTemplate } from "../services/templates/server-templates";
import { createTask } from "../services/tasks/create";
import { createTestAccount, createTestUser } from "../testing/fixtures";
import { blockTaskInput } from "../testing/task-world";
import { createTestDatabase } from "../testing/test-db";
import type { ProcedureMeta, TrpcContext } from "./init";
import { appRouter, createCaller } from "./root";

// Walks the whole tRPC router. A new procedure fails here until it declares its action (or why it
// needs none) and gets a sample input, so it cannot skip the permission and tenancy checks.

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

type World = {
  userId: string;
  groupId: string;
  policyId: string;
  accessKeyId: string;
  serverId: string;
  logId: string;
  migrationTemplateId: string;
  serverTemplateId: string;
  taskId: string;
  targetServerId: string;
};
type Sample = {
  input?: (w: World) => unknown;
  /** Names an existing resource of account A: another account must get NOT_FOUND (or nothing). */
  isAboutResource?: boolean;
};

const SERVER_SETTINGS = { diskMappingPolicy: "in-order", network: { mode: "keep-source" }, hostname: null } as const;

const policyDocument = { Version: "1.1", Statement: [{ Effect: "Allow", Action: ["sms:server:list"] }] };

const SAMPLES: Record<string, Sample> = {
  "audit.list": { input: () => ({}) },
  "audit.exportCsv": { input: () => ({}) },
  "iam.users.list": {},
  "iam.users.get": { input: (w) => ({ userId: w.userId }), isAboutResource: true },
  "iam.users.create": { input: () => ({ email: `new-${Math.random()}@example.test`, name: "New", initialPassword: "initial-pass-1" }) },
  "iam.users.update": { input: (w) => ({ userId: w.userId, name: "Renamed" }), isAboutResource: true },
  "iam.users.setEnabled": { input: (w) => ({ userId: w.userId, isEnabled: false }), isAboutResource: true },
  "iam.users.delete": { input: (w) => ({ userId: w.userId }), isAboutResource: true },
  "iam.groups.list": {},
  "iam.groups.get": { input: (w) => ({ groupId: w.groupId }), isAboutResource: true },
  "iam.groups.create": { input: () => ({ name: `g-${Math.random()}` }) },
  "iam.groups.update": { input: (w) => ({ groupId: w.groupId, name: "renamed" }), isAboutResource: true },
  "iam.groups.delete": { input: (w) => ({ groupId: w.groupId }), isAboutResource: true },
  "iam.groups.addUser": { input: (w) => ({ groupId: w.groupId, userId: w.userId }), isAboutResource: true },
  "iam.groups.removeUser": { input: (w) => ({ groupId: w.groupId, userId: w.userId }), isAboutResource: true },
  "iam.policies.list": {},
  "iam.policies.get": { input: (w) => ({ policyId: w.policyId }), isAboutResource: true },
  "iam.policies.listAttached": { input: (w) => ({ principalType: "user", principalId: w.userId }), isAboutResource: true },
  "iam.policies.create": { input: () => ({ name: `p-${Math.random()}`, document: policyDocument }) },
  "iam.policies.update": { input: (w) => ({ policyId: w.policyId, version: 1, name: "renamed", document: policyDocument }), isAboutResource: true },
  "iam.policies.delete": { input: (w) => ({ policyId: w.policyId }), isAboutResource: true },
  "iam.policies.attach": { input: (w) => ({ policyId: w.policyId, principalType: "user", principalId: w.userId }), isAboutResource: true },
  "iam.policies.detach": { input: (w) => ({ policyId: w.policyId, principalType: "user", principalId: w.userId }), isAboutResource: true },
  "iam.accessKeys.list": { input: (w) => ({ userId: w.userId }), isAboutResource: true },
  "iam.accessKeys.create": { input: (w) => ({ userId: w.userId }), isAboutResource: true },
  "iam.accessKeys.setStatus": { input: (w) => ({ accessKeyId: w.accessKeyId, status: "inactive" }), isAboutResource: true },
  "iam.accessKeys.delete": { input: (w) => ({ accessKeyId: w.accessKeyId }), isAboutResource: true },
  "servers.list": { input: () => ({}) },
  "servers.get": { input: (w) => ({ serverId: w.serverId }), isAboutResource: true },
  "servers.recheck": { input: (w) => ({ serverId: w.serverId }), isAboutResource: true },
  "servers.delete": { input: (w) => ({ serverId: w.serverId }), isAboutResource: true },
  "servers.queueCommand": { input: (w) => ({ serverId: w.serverId, type: "refresh" }), isAboutResource: true },
  "servers.listCommands": { input: (w) => ({ serverId: w.serverId }), isAboutResource: true },
  "servers.listLogs": { input: (w) => ({ serverId: w.serverId }), isAboutResource: true },
  "servers.getLog": { input: (w) => ({ logId: w.logId }), isAboutResource: true },
  "tasks.list": { input: () => ({}) },
  "tasks.get": { input: (w) => ({ taskId: w.taskId }), isAboutResource: true },
  "tasks.estimate": { input: (w) => ({ sourceServerId: w.serverId, mode: "block", sourceDisks: ["/dev/vda"] }), isAboutResource: true },
  "tasks.create": { input: (w) => ({ ...blockTaskInput({ sourceServerId: w.serverId, targetServerId: w.targetServerId }) }) },
  "tasks.start": { input: (w) => ({ taskId: w.taskId, version: 1 }), isAboutResource: true },
  "tasks.sync": { input: (w) => ({ taskId: w.taskId, version: 1 }), isAboutResource: true },
  "tasks.stop": { input: (w) => ({ taskId: w.taskId, version: 1 }), isAboutResource: true },
  "tasks.launch": { input: (w) => ({ taskId: w.taskId, version: 1 }), isAboutResource: true },
  "tasks.delete": { input: (w) => ({ taskId: w.taskId, version: 1 }), isAboutResource: true },
  "tasks.setContinuousSync": { input: (w) => ({ taskId: w.taskId, version: 1, isOn: true }), isAboutResource: true },
  "tasks.setSpeedLimit": { input: (w) => ({ taskId: w.taskId, version: 1, limitMbps: 100 }), isAboutResource: true },
  "templates.migration.list": {},
  "templates.migration.get": { input: (w) => ({ templateId: w.migrationTemplateId }), isAboutResource: true },
  "templates.migration.create": { input: () => ({ name: `t-${Math.random()}`, settings: DEFAULT_MIGRATION_SETTINGS }) },
  "templates.migration.update": { input: (w) => ({ templateId: w.migrationTemplateId, name: "renamed", settings: DEFAULT_MIGRATION_SETTINGS }), isAboutResource: true },
  "templates.migration.delete": { input: (w) => ({ templateId: w.migrationTemplateId }), isAboutResource: true },
  "templates.server.list": {},
  "templates.server.get": { input: (w) => ({ templateId: w.serverTemplateId }), isAboutResource: true },
  "templates.server.create": { input: () => ({ name: `s-${Math.random()}`, targetServerId: null, settings: SERVER_SETTINGS }) },
  "templates.server.update": { input: (w) => ({ templateId: w.serverTemplateId, name: "renamed", targetServerId: null, settings: SERVER_SETTINGS }), isAboutResource: true },
  "templates.server.delete": { input: (w) => ({ templateId: w.serverTemplateId }), isAboutResource: true },
};

type ProcedureDef = { _def: { type: "query" | "mutation" | "subscription"; meta?: ProcedureMeta } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, ProcedureDef>).map(([path, procedure]) => ({
  path,
  type: procedure._def.type,
  meta: procedure._def.meta,
}));
const checked = procedures.filter((p) => p.meta && "action" in p.meta);

function call(ctx: TrpcContext, path: string, input: unknown): Promise<unknown> {
  let target: unknown = createCaller(ctx);
  for (const segment of path.split(".")) target = (target as Record<string, unknown>)[segment];
  return (target as (input: unknown) => Promise<unknown>)(input);
}

async function makeWorld() {
  const a = await createTestAccount(database.db);
  const other = await createTestUser(database.db, a.account.id);
  const group = await createGroup(a.ctx, { name: `group-${Math.random()}` });
  const policy = await createPolicy(a.ctx, { name: `policy-${Math.random()}`, document: policyDocument });
  const key = await createAccessKey(a.ctx, { userId: other.user.id });
  const agentId = randomUUID();
  const { serverId } = await registerSourceServer(a.ctx, { agentId, report: debian12 as unknown as SourceReport });
  const { logId } = await uploadAgentLog(a.ctx, { agentId, commandId: null, fileName: "agent.log", content: "log", isTruncated: false });
  const migrationTemplate = await createMigrationTemplate(a.ctx, { name: `mt-${Math.random()}`, settings: DEFAULT_MIGRATION_SETTINGS });
  const serverTemplate = await createServerTemplate(a.ctx, { name: `st-${Math.random()}`, targetServerId: null, settings: SERVER_SETTINGS });
  const target = await registerTargetServer(a.ctx, {
    agentId: randomUUID(),
    report: { ...(debian12 as unknown as SourceReport), hostname: "target" },
    target: { receiveHost: "10.0.0.2", disks: [{ path: "/dev/sdb", sizeBytes: 2 ** 40, kind: "device" }, { path: "/dev/sdc", sizeBytes: 2 ** 40, kind: "device" }], fileRoot: null },
  });
  const task = await createTask(a.ctx, blockTaskInput({ sourceServerId: serverId, targetServerId: target.serverId }, { diskMapping: [{ sourceDisk: "/dev/vda", targetDisk: "/dev/sdb" }] }));
  const world: World = {
    taskId: task.id,
    targetServerId: target.serverId,
    userId: other.user.id,
    groupId: group.id,
    policyId: policy.id,
    accessKeyId: key.accessKeyId,
    serverId,
    logId,
    migrationTemplateId: migrationTemplate.id,
    serverTemplateId: serverTemplate.id,
  };
  return { a, world };
}

const trpcContext = (ctx: { db: TrpcContext["db"]; actor: NonNullable<TrpcContext["actor"]>; meta: TrpcContext["meta"] }): TrpcContext => ctx;

describe("every tRPC procedure", () => {
  it("declares a catalogue action, or that it is public or self-service", () => {
    for (const { path, meta } of procedures) {
      expect(meta, `${path} has no .meta()`).toBeDefined();
      if (meta && "action" in meta) expect(isAction(meta.action), `${path}: unknown action ${meta.action}`).toBe(true);
      else expect(["public", "self"], path).toContain(meta && "access" in meta ? meta.access : undefined);
    }
  });

  it("has a sample input here, so the checks below cover it", () => {
    expect(checked.map((p) => p.path).filter((path) => !(path in SAMPLES))).toEqual([]);
  });

  it("refuses every mutation to a user with SMS ReadOnlyAccess, with FORBIDDEN, and changes nothing", async () => {
    const { a, world } = await makeWorld();
    const readOnly = await createTestUser(database.db, a.account.id, { policyIds: [SMS_READ_ONLY_ACCESS.id] });
    const ctx = trpcContext({ db: database.db, actor: { ...readOnly.actor, accountName: "A" }, meta: { ip: "127.0.0.1" } });
    const mutations = checked.filter((p) => p.type === "mutation");
    expect(mutations.length).toBeGreaterThan(15);
    for (const { path } of mutations) {
      await expect(call(ctx, path, SAMPLES[path]?.input?.(world)), path).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    const [user] = await database.db.select().from(users).where(eq(users.id, world.userId));
    expect(user!.name).toMatch(/^User /);
    expect(user!.disabledAt).toBeNull();
    expect(await database.db.select().from(groups).where(eq(groups.id, world.groupId))).toHaveLength(1);
    expect(await database.db.select().from(accessKeys).where(eq(accessKeys.accessKeyId, world.accessKeyId))).toHaveLength(1);
    expect(await database.db.select().from(sourceServers).where(eq(sourceServers.id, world.serverId))).toHaveLength(1);
  });

  it("answers NOT_FOUND (or nothing) to an administrator of another account, and changes nothing there", async () => {
    const { a, world } = await makeWorld();
    const b = await createTestAccount(database.db);
    const ctx = trpcContext({ db: database.db, actor: { ...b.actor, accountName: "B" }, meta: { ip: "127.0.0.1" } });
    for (const { path, type } of checked) {
      const sample = SAMPLES[path]!;
      const input = sample.input?.(world);
      if (sample.isAboutResource) {
        const outcome = await call(ctx, path, input).then(
          (value) => ({ value }),
          (error: { code?: string }) => ({ error }),
        );
        if ("error" in outcome) expect(outcome.error.code, path).toBe("NOT_FOUND");
        else expect(type === "query" && Array.isArray(outcome.value) && outcome.value.length === 0, `${path} returned data of another account`).toBe(true);
      } else if (type === "query") {
        const value = await call(ctx, path, input);
        const text = JSON.stringify(value);
        for (const id of Object.values(world)) expect(text, `${path} leaks ${id}`).not.toContain(id);
        expect(text, path).not.toContain(a.account.id);
      }
    }
    expect(await database.db.select().from(users).where(and(eq(users.id, world.userId), eq(users.accountId, a.account.id)))).toHaveLength(1);
    expect(await database.db.select().from(policies).where(eq(policies.id, world.policyId))).toHaveLength(1);
    const [key] = await database.db.select().from(accessKeys).where(eq(accessKeys.accessKeyId, world.accessKeyId));
    expect(key!.status).toBe("active");
    expect(await database.db.select().from(sourceServers).where(eq(sourceServers.id, world.serverId))).toHaveLength(1);
  });
});
