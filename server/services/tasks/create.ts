import { and, eq, notInArray } from "drizzle-orm";
import { migrationTemplates, serverTemplates, tasks } from "@/drizzle/schema";
import type { Tx } from "../../db";
import { badRequest, conflict, notFound } from "../../errors";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { startTaskInTx } from "./actions";
import { assertSourceReady, assertTargetReady, checkDiskMapping } from "./readiness";
import { addTaskEvent, capabilitiesOf, loadServer, reportOf, type DiskMapping } from "./records";
import { createTaskSchema, type CreateTaskInput } from "./schemas";
import { createSubtasks } from "./subtasks";
import { preparationProblems } from "./target-preparation";

async function assertTemplatesOfAccount(tx: Tx, accountId: string, migrationTemplateId: string | null, serverTemplateId: string | null) {
  if (migrationTemplateId) {
    const [row] = await tx.select({ id: migrationTemplates.id }).from(migrationTemplates).where(and(eq(migrationTemplates.id, migrationTemplateId), eq(migrationTemplates.accountId, accountId)));
    if (!row) throw notFound("Migration template");
  }
  if (serverTemplateId) {
    const [row] = await tx.select({ id: serverTemplates.id }).from(serverTemplates).where(and(eq(serverTemplates.id, serverTemplateId), eq(serverTemplates.accountId, accountId)));
    if (!row) throw notFound("Server template");
  }
}

/** Creates a task after the wizard's three steps; with startNow it starts at once. */
export async function createTask(ctx: ServiceContext, input: CreateTaskInput) {
  const data = createTaskSchema.parse(input);
  return audited(ctx, { action: "sms:task:create", resourceType: "task", details: { name: data.name, mode: data.settings.mode } }, async (tx) => {
    const source = await loadServer(tx, ctx.actor.accountId, data.sourceServerId, "source");
    const target = await loadServer(tx, ctx.actor.accountId, data.targetServerId, "target");
    await assertTemplatesOfAccount(tx, ctx.actor.accountId, data.migrationTemplateId, data.serverTemplateId);
    assertSourceReady(source, data.settings.mode);
    assertTargetReady(target);
    const [live] = await tx
      .select({ name: tasks.name })
      .from(tasks)
      .where(and(eq(tasks.sourceServerId, source.id), notInArray(tasks.state, ["DELETING", "LAUNCHED"])));
    if (live) throw conflict(`The source server ${source.hostname} already has the task "${live.name}". Delete it or wait until it is launched.`);

    let diskMapping: DiskMapping;
    let where = "";
    if (data.settings.mode === "block") {
      const problem = checkDiskMapping(source, target, data.diskMapping);
      if (problem) throw badRequest(problem);
      diskMapping = { mode: "block", disks: data.diskMapping };
    } else if (data.fileTarget === "disks") {
      const problems = Object.values(preparationProblems(reportOf(source).disks, capabilitiesOf(target)?.disks ?? [], data.diskMapping));
      if (problems.length) throw badRequest(problems.join(" "));
      diskMapping = { mode: "file", sourceRoot: "/", targetDir: null, prepare: { disks: data.diskMapping, isSameUuids: data.isSameUuids } };
      where = `, onto the target's disks prepared like the source's (${data.diskMapping.map((d) => `${d.sourceDisk} → ${d.targetDisk}`).join(", ")}; ${data.isSameUuids ? "same" : "new"} filesystem UUIDs)`;
    } else {
      const fileRoot = capabilitiesOf(target)?.fileRoot;
      if (!fileRoot) throw badRequest(`The target server ${target.hostname} takes no file-level migrations: start its agent with --file-root.`);
      const folder = `${source.hostname.replace(/[^A-Za-z0-9._-]/g, "_")}-${crypto.randomUUID().slice(0, 8)}`;
      diskMapping = { mode: "file", sourceRoot: data.sourceRoot, targetDir: `${fileRoot.replace(/\/+$/, "")}/${folder}` };
    }
    const [task] = await tx
      .insert(tasks)
      .values({
        accountId: ctx.actor.accountId,
        name: data.name,
        sourceServerId: source.id,
        targetServerId: target.id,
        mode: data.settings.mode,
        settings: data.settings,
        diskMapping,
        migrationTemplateId: data.migrationTemplateId,
        serverTemplateId: data.serverTemplateId,
      })
      .returning();
    await createSubtasks(tx, ctx.actor.accountId, task!.id);
    await addTaskEvent(tx, task!, "info", `Task created: ${source.hostname} → ${target.hostname}, ${data.settings.mode} level${where}.`);
    const row = data.startNow ? await startTaskInTx(tx, ctx, task!, task!.version) : task!;
    return { value: { id: row.id, state: row.state, version: row.version }, resourceId: row.id, resourceName: row.name };
  });
}
