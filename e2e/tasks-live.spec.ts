import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { signInAsAdmin } from "./admin";
import { createAgentUser, registeredServerId, removeFolder, stopAgents } from "./agents";
import { trpcMutation } from "./trpc";

// The task page while a real pass runs: a file-level task between two agents on this machine,
// slowed by a speed limit so the live charts, the progress bar and a speed-limit change can be
// watched before it finishes verified.

const ROOT = path.resolve(import.meta.dirname, "..");
const SCREENS = "e2e/.artifacts/screens";
const MiB = 1024 * 1024;
const TASK_NAME = `live-${Date.now().toString(36)}`;

const agents: ChildProcess[] = [];
const folders: string[] = [];
let agentUserId: string | undefined;
let sourceId: string;
let targetId: string;
let sourceDir: string;

function tempFolder(prefix: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

function startAgent(args: string[], env: Record<string, string>): string {
  const stateDir = tempFolder("ferry-e2e-live-agent-");
  agents.push(spawn(process.execPath, [path.join(ROOT, "agent/bin/ferry-agent.mjs"), ...args, "--state-dir", stateDir], { cwd: ROOT, env: { ...process.env, ...env }, stdio: "ignore" }));
  return stateDir;
}

test.beforeAll(async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const page = await browser.newPage();
  await signInAsAdmin(page);
  const key = await createAgentUser(page.request, "live");
  agentUserId = key.userId;
  const env = { FERRY_CONSOLE_URL: baseURL!, FERRY_AK: key.accessKeyId, FERRY_SK: key.secretAccessKey };

  // Incompressible data, so the limit (not compression) sets the pace.
  sourceDir = tempFolder("ferry-e2e-live-source-");
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(sourceDir, `data-${i}.bin`), crypto.randomBytes(10 * MiB));
  fs.writeFileSync(path.join(sourceDir, "hello.txt"), "hello from the source\n");
  sourceId = await registeredServerId(startAgent(["source"], env));
  targetId = await registeredServerId(startAgent(["target", "--file-root", tempFolder("ferry-e2e-live-files-"), "--receive-host", "127.0.0.1"], env));
  await page.close();
});

test.afterAll(async ({ browser }) => {
  await stopAgents(agents);
  for (const folder of folders) removeFolder(folder);
  if (!agentUserId) return;
  const page = await browser.newPage();
  await signInAsAdmin(page);
  await trpcMutation(page.request, "iam.users.delete", { userId: agentUserId });
  await page.close();
});

test("a running task's page follows the agents live: charts, progress, a speed-limit change, then verified", async ({ page }) => {
  test.setTimeout(180_000);
  await signInAsAdmin(page);
  const settings = { mode: "file", limitMbps: 24, windows: [], compress: false, continuousSync: false, verify: true, excludes: [], startTargetAfterMigration: false };
  const template = await trpcMutation<{ id: string }>(page.request, "templates.migration.create", { name: `${TASK_NAME} template`, settings });
  const task = await trpcMutation<{ id: string }>(page.request, "tasks.create", {
    name: TASK_NAME,
    startNow: true,
    sourceServerId: sourceId,
    targetServerId: targetId,
    serverTemplateId: null,
    migrationTemplateId: template.id,
    diskMapping: [],
    sourceRoot: sourceDir,
    settings,
  });
  await page.goto(`/tasks/${task.id}`);
  await expect(page.getByRole("heading", { level: 1, name: TASK_NAME })).toBeVisible();

  // The throughput chart draws as soon as the first samples arrive, without a reload.
  const throughput = page.getByRole("figure", { name: "Throughput" });
  await expect(throughput.locator("svg.recharts-surface")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("task-state")).toHaveAttribute("data-state", "RUNNING");
  await expect(page.getByRole("figure", { name: "Overall progress" }).locator("svg.recharts-surface")).toBeVisible();
  await expect(page.getByRole("button", { name: "Stop" })).toBeEnabled();
  await expect(page.getByRole("button", { name: "Start" })).toHaveAttribute("aria-disabled", "true");

  // Its template cannot be deleted while it runs: the server's refusal is shown in the dialog.
  const templates = await page.context().newPage();
  await templates.goto("/templates/migration");
  await templates.getByRole("button", { name: `Delete ${TASK_NAME} template` }).click();
  const confirm = templates.getByRole("dialog", { name: `Delete the migration template "${TASK_NAME} template"?` });
  await confirm.getByRole("button", { name: "Delete template" }).click();
  await expect(confirm.getByRole("alert")).toContainText(`The running task "${TASK_NAME}" uses this template`);
  await templates.screenshot({ path: `${SCREENS}/templates-delete-refused.png` });
  await templates.close();

  // The limit changes while the pass runs.
  const limit = page.getByRole("form", { name: "Speed limit" });
  await limit.getByLabel("Speed limit (Mbit/s)").fill("-1");
  await limit.getByRole("button", { name: "Set limit" }).click();
  await expect(limit.getByText("The speed limit must be more than 0")).toBeVisible();
  await limit.getByLabel("Speed limit (Mbit/s)").fill("48");
  await limit.getByRole("button", { name: "Set limit" }).click();
  await expect(page.getByRole("list", { name: "Events" })).toContainText("Speed limit set to 48 Mbit/s.");
  await page.screenshot({ path: `${SCREENS}/task-running.png`, fullPage: true });

  // The list shows it moving too.
  await page.goto("/tasks");
  const row = page.getByRole("table", { name: "Migration tasks" }).getByRole("row").filter({ hasText: TASK_NAME });
  await expect(row.getByRole("progressbar")).toBeVisible();
  await page.screenshot({ path: `${SCREENS}/tasks-list-running.png`, fullPage: true });
  await expect(row.getByTestId("task-state")).toHaveAttribute("data-state", "MIGRATE_SUCCESS", { timeout: 120_000 });
  await expect(row.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");

  await row.getByRole("link", { name: TASK_NAME }).click();
  await expect(page.getByTestId("task-verification")).toContainText("verified");
  await expect(page.getByRole("table", { name: "Subtasks" }).getByRole("row").filter({ hasText: "Verify" })).toContainText("Done");
  await expect(page.getByRole("button", { name: "Launch target server" })).toBeEnabled();
  await expect(page.getByRole("button", { name: "Sync", exact: true })).toBeEnabled();
  await page.screenshot({ path: `${SCREENS}/task-migrated.png`, fullPage: true });

  // Once the task no longer runs, its template may go (and leaves later specs an empty list).
  await trpcMutation(page.request, "templates.migration.delete", { templateId: template.id });
});
