import { randomUUID } from "node:crypto";
import type { SourceReport } from "@/agent/src/protocol/v1/report";
import type { Db } from "../db";
import debian12 from "../services/servers/fixtures/debian-12.json";
import { registerSourceServer, registerTargetServer } from "../services/servers/register";
import { DEFAULT_MIGRATION_SETTINGS } from "../services/templates/schemas";
import type { ServiceContext } from "../services/context";
import { createTestAccount } from "./fixtures";

const GiB = 1024 ** 3;

/**
 * An account with a registered source (the Debian 12 fixture: /dev/vda 100 GiB, /dev/vdb 500 GiB)
 * and a registered target offering two disks and a folder, both connected: what a task needs.
 */
export async function createTaskWorld(db: Db) {
  const account = await createTestAccount(db);
  const sourceAgentId = randomUUID();
  const targetAgentId = randomUUID();
  const source = await registerSourceServer(account.ctx, { agentId: sourceAgentId, report: debian12 as unknown as SourceReport });
  const target = await registerTargetServer(account.ctx, {
    agentId: targetAgentId,
    report: { ...(debian12 as unknown as SourceReport), hostname: "target-01" },
    target: {
      receiveHost: "10.0.0.2",
      disks: [
        { path: "/dev/sdb", sizeBytes: 120 * GiB, kind: "device" },
        { path: "/dev/sdc", sizeBytes: 600 * GiB, kind: "device" },
        { path: "/dev/sdd", sizeBytes: 50 * GiB, kind: "device" },
      ],
      fileRoot: "/srv/ferry",
    },
  });
  return { ...account, sourceAgentId, targetAgentId, sourceServerId: source.serverId, targetServerId: target.serverId };
}

export function blockTaskInput(world: { sourceServerId: string; targetServerId: string }, overrides: Record<string, unknown> = {}) {
  return {
    name: `task-${Math.random().toString(36).slice(2, 8)}`,
    sourceServerId: world.sourceServerId,
    targetServerId: world.targetServerId,
    serverTemplateId: null,
    migrationTemplateId: null,
    diskMapping: [
      { sourceDisk: "/dev/vda", targetDisk: "/dev/sdb" },
      { sourceDisk: "/dev/vdb", targetDisk: "/dev/sdc" },
    ],
    settings: DEFAULT_MIGRATION_SETTINGS,
    ...overrides,
  };
}

export type TaskWorld = Awaited<ReturnType<typeof createTaskWorld>> & { ctx: ServiceContext };
