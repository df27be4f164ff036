import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, type APIRequestContext } from "@playwright/test";
import { trpcMutation } from "./trpc";

// Agents in browser tests sign as a user of their own with SMS FullAccess, as an operator would set
// them up; their processes report the server id they registered as in their state folder.

export const SMS_FULL_ACCESS_ID = "00000000-0000-4000-8000-000000000001";

export async function createAgentUser(request: APIRequestContext, label: string) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const user = await trpcMutation<{ id: string }>(request, "iam.users.create", { email: `${label}-agent-${suffix}@acme.test`, name: `${label} agent ${suffix}`, initialPassword: "agent-e2e-pass-1" });
  await trpcMutation(request, "iam.policies.attach", { policyId: SMS_FULL_ACCESS_ID, principalType: "user", principalId: user.id });
  const key = await trpcMutation<{ accessKeyId: string; secretAccessKey: string }>(request, "iam.accessKeys.create", { userId: user.id, description: `e2e ${label} agents` });
  return { userId: user.id, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

/** The server id an agent got at registration, from its state folder. */
export async function registeredServerId(stateDir: string): Promise<string> {
  let id: string | null = null;
  await expect
    .poll(
      () => {
        try {
          id = (JSON.parse(fs.readFileSync(path.join(stateDir, "state.json"), "utf8")) as { serverId: string | null }).serverId;
        } catch {
          id = null;
        }
        return id;
      },
      { timeout: 30_000 },
    )
    .not.toBeNull();
  return id!;
}

/** Kills agent processes and waits until each has exited, so nothing still writes into folders about to be removed. */
export async function stopAgents(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

/** Removes a test folder; retries because a killed process's last writes may still be settling. */
export function removeFolder(folder: string): void {
  fs.rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}
