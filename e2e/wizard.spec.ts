import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { layoutBytesOf, mountPointsOf, type LayoutDisk } from "../agent/src/protocol/v1/disk-layout";
import { signIn, signInAsAdmin } from "./admin";
import { createAgentUser, registeredServerId, removeFolder, stopAgents } from "./agents";
import { trpcMutation, trpcQuery } from "./trpc";

// The task wizard against real agents: a source agent and a target agent (offering image files
// and a folder) register with the console under test, then the wizard creates a task.

const ROOT = path.resolve(import.meta.dirname, "..");
const SCREENS = "e2e/.artifacts/screens";
const SMS_READ_ONLY_ACCESS_ID = "00000000-0000-4000-8000-000000000002";
const TASK_NAME = "e2e wizard task";
const GiB = 1024 ** 3;

const agents: ChildProcess[] = [];
const folders: string[] = [];
let agentUserId: string | undefined;
let agentEnv: Record<string, string>;
const loopDevices: string[] = [];
let sourceId: string;
let targetId: string;
let sourceDisk: { path: string; sizeBytes: number };
let smallDisk: string;
let bigDisk: string;

function tempFolder(prefix: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

function startAgent(args: string[], env: Record<string, string>): string {
  const stateDir = tempFolder("ferry-e2e-wizard-agent-");
  agents.push(spawn(process.execPath, [path.join(ROOT, "agent/bin/ferry-agent.mjs"), ...args, "--state-dir", stateDir], { cwd: ROOT, env: { ...process.env, ...env }, stdio: "ignore" }));
  return stateDir;
}

test.beforeAll(async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const page = await browser.newPage();
  await signInAsAdmin(page);
  const key = await createAgentUser(page.request, "wizard");
  agentUserId = key.userId;
  const env = { FERRY_CONSOLE_URL: baseURL!, FERRY_AK: key.accessKeyId, FERRY_SK: key.secretAccessKey };
  agentEnv = env;

  sourceId = await registeredServerId(startAgent(["source"], env));
  const source = await trpcQuery<{ report: { disks: { path: string; sizeBytes: number; isSystemDisk: boolean }[] } }>(page.request, "servers.get", { serverId: sourceId });
  const system = source.report.disks.find((d) => d.isSystemDisk) ?? source.report.disks[0]!;
  sourceDisk = { path: system.path, sizeBytes: system.sizeBytes };

  // Sparse image files: one too small for the source's system disk, and one for each source disk
  // with room to spare. Nothing is written to them: the task is created, not started.
  const disksDir = tempFolder("ferry-e2e-wizard-disks-");
  smallDisk = path.join(disksDir, "small.img");
  fs.writeFileSync(smallDisk, "");
  fs.truncateSync(smallDisk, Math.max(GiB, Math.floor(sourceDisk.sizeBytes / 2 / 4096) * 4096));
  source.report.disks.forEach((disk, i) => {
    const file = path.join(disksDir, `big-${i}.img`);
    fs.writeFileSync(file, "");
    fs.truncateSync(file, disk.sizeBytes + GiB);
  });
  bigDisk = path.join(disksDir, `big-${source.report.disks.indexOf(system)}.img`);
  const fileRoot = tempFolder("ferry-e2e-wizard-files-");
  targetId = await registeredServerId(startAgent(["target", "--disks-dir", disksDir, "--file-root", fileRoot, "--receive-host", "127.0.0.1"], env));
  await page.close();
});

test.afterAll(async ({ browser }) => {
  await stopAgents(agents);
  for (const device of loopDevices) spawnSync("losetup", ["-d", device]);
  for (const folder of folders) removeFolder(folder);
  if (!agentUserId) return;
  const page = await browser.newPage();
  await signInAsAdmin(page);
  await trpcMutation(page.request, "iam.users.delete", { userId: agentUserId });
  await page.close();
});

test("the Target servers page lists the registered target with its disks, sizes and file root", async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto("/targets");
  const table = page.getByRole("table", { name: "Target servers" });
  const row = table.getByRole("row").filter({ hasText: smallDisk });
  await expect(row).toContainText(bigDisk);
  await expect(row).toContainText("Connected");
  await expect(row).toContainText("ferry-e2e-wizard-files-");
  await expect(row).toContainText("127.0.0.1");
  await page.screenshot({ path: `${SCREENS}/targets.png`, fullPage: true });
});

/** A task too big for its target disk is refused by the server too, and nothing is created. */
test("the server refuses a task whose target disk is too small, creating nothing", async ({ page }) => {
  await signInAsAdmin(page);
  const response = await page.request.post("/api/trpc/tasks.create", {
    data: {
      json: {
        name: "too small",
        startNow: false,
        sourceServerId: sourceId,
        targetServerId: targetId,
        serverTemplateId: null,
        migrationTemplateId: null,
        diskMapping: [{ sourceDisk: sourceDisk.path, targetDisk: smallDisk }],
        sourceRoot: "/",
        settings: { mode: "block", limitMbps: null, windows: [], compress: false, continuousSync: false, verify: true, excludes: [], startTargetAfterMigration: false },
      },
    },
  });
  expect(response.status()).toBe(400);
  expect(await response.text()).toContain("is smaller than source disk");
  const tasks = await trpcQuery<{ name: string }[]>(page.request, "tasks.list", {});
  expect(tasks.filter((t) => t.name === "too small")).toHaveLength(0);
});

test("the wizard walks three validated steps, keeps what was typed, and creates a READY task", async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto("/tasks");
  await page.getByRole("link", { name: "Create task" }).first().click();
  await expect(page).toHaveURL(/\/tasks\/new$/);

  // Step 1: nothing chosen is an inline error on the group.
  const steps = page.getByRole("navigation", { name: "Task wizard steps" });
  await expect(steps.locator('[aria-current="step"]')).toContainText("Select source");
  const sourceRadio = page.locator(`input[name="sourceServerId"][value="${sourceId}"]`);
  await expect(sourceRadio).toBeEnabled();
  await page.getByRole("button", { name: "Next" }).click();
  const sources = page.getByRole("radiogroup", { name: "Source server" });
  await expect(sources.getByText("Choose a source server")).toBeVisible();
  await expect(sources).toHaveAttribute("aria-invalid", "true");
  await page.screenshot({ path: `${SCREENS}/wizard-1-source-error.png`, fullPage: true });
  await sourceRadio.check();
  await expect(sources.getByText("Choose a source server")).toBeHidden();
  await page.screenshot({ path: `${SCREENS}/wizard-1-source.png`, fullPage: true });
  await page.getByRole("button", { name: "Next" }).click();

  // Step 2: the heading takes the focus; a too-small target disk is an inline error and blocks Next.
  await expect(page.getByRole("heading", { level: 2, name: "Configure target" })).toBeFocused();
  await page.getByLabel("Target server", { exact: true }).selectOption(targetId);
  // File level goes into a folder by default; onto the target's own disks needs block devices,
  // and this target offers image files only.
  await page.getByRole("radio", { name: "File level" }).check();
  const where = page.getByRole("radiogroup", { name: "Where the files go" });
  await expect(where.getByRole("radio", { name: "Into a folder" })).toBeChecked();
  await expect(where.getByRole("radio", { name: "Onto the target's disks, prepared like the source's" })).toBeDisabled();
  await expect(where).toContainText("offers no block devices");
  await expect(page.getByLabel("Source folder")).toHaveValue("/");
  await page.getByRole("radio", { name: "Block level" }).check();
  const mapping = page.getByLabel(`Target disk for ${sourceDisk.path}`);
  await mapping.selectOption(smallDisk);
  await expect(page.getByText(new RegExp(`Target disk ${smallDisk.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(.+\\) is smaller than source disk`))).toBeVisible();
  await expect(mapping).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Speed limit (Mbit/s)").fill("-5");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("The speed limit must be more than 0")).toBeVisible();
  await expect(page.getByLabel("Speed limit (Mbit/s)")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("heading", { level: 2, name: "Configure target" })).toBeVisible();
  await page.screenshot({ path: `${SCREENS}/wizard-2-target-errors.png`, fullPage: true });

  await mapping.selectOption(bigDisk);
  await expect(page.getByText("is smaller than source disk")).toBeHidden();
  await page.getByLabel("Speed limit (Mbit/s)").fill("100");
  await page.getByLabel("Compress data in transit").check();
  await page.screenshot({ path: `${SCREENS}/wizard-2-target.png`, fullPage: true });
  await page.getByRole("button", { name: "Next" }).click();

  // Step 3: the summary and the estimate; back and forth keeps every choice.
  await expect(page.getByRole("heading", { level: 2, name: "Confirm" })).toBeFocused();
  const summary = page.getByRole("definition").filter({ hasText: bigDisk });
  await expect(summary).toContainText(sourceDisk.path);
  await expect(page.getByText("Speed limit: 100 Mbit/s")).toBeVisible();
  await expect(page.getByTestId("task-estimate")).toContainText("Data to move");
  // Before any pass the time is unknown; after one (another spec's), it uses the measured rate.
  await expect(page.getByTestId("task-estimate")).toContainText(/Time: (unknown until the first pass|about .+ the fastest link speed measured recently)/);
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page.getByLabel("Speed limit (Mbit/s)")).toHaveValue("100");
  await expect(page.getByLabel(`Target disk for ${sourceDisk.path}`)).toHaveValue(bigDisk);
  await expect(page.getByLabel("Compress data in transit")).toBeChecked();
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page.locator(`input[name="sourceServerId"][value="${sourceId}"]`)).toBeChecked();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Task name").fill("");
  await page.getByRole("button", { name: "Create task" }).click();
  await expect(page.getByText("Name the task")).toBeVisible();
  await page.getByLabel("Task name").fill(TASK_NAME);
  await expect(page.getByLabel("Start now")).not.toBeChecked();
  await page.screenshot({ path: `${SCREENS}/wizard-3-confirm.png`, fullPage: true });
  await page.getByRole("button", { name: "Create task" }).click();

  // The task page: READY, its subtasks, and charts that wait for samples.
  await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: TASK_NAME })).toBeVisible();
  await expect(page.getByTestId("task-state")).toHaveAttribute("data-state", "READY");
  const subtasks = page.getByRole("table", { name: "Subtasks" });
  for (const step of ["Check source", "Configure TLS", "Prepare target", "Migrate system disk", "Verify", "Launch"]) {
    await expect(subtasks.getByRole("row").filter({ hasText: step }).first()).toBeVisible();
  }
  await expect(page.getByRole("figure", { name: "Throughput" })).toContainText("No samples yet");
  await expect(page.getByRole("figure", { name: "Progress per disk" })).toContainText("No samples yet");
  await expect(page.getByRole("list", { name: "Events" })).toContainText("Task created");
  await expect(page.getByRole("button", { name: "Start" })).toBeEnabled();
  await expect(page.getByRole("button", { name: "Launch target server" })).toHaveAttribute("aria-disabled", "true");
  await page.screenshot({ path: `${SCREENS}/task-ready.png`, fullPage: true });

  await page.getByRole("link", { name: "Migration tasks" }).first().click();
  const row = page.getByRole("table", { name: "Migration tasks" }).getByRole("row").filter({ hasText: TASK_NAME });
  await expect(row.getByTestId("task-state")).toHaveAttribute("data-state", "READY");
  await expect(row).toContainText("READY");
  await expect(row.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "0");
  await page.screenshot({ path: `${SCREENS}/tasks-list.png`, fullPage: true });
});

async function signInAsNewReader(page: Page): Promise<void> {
  await signInAsAdmin(page);
  const suffix = Date.now().toString(36);
  const reader = { email: `reader-${suffix}@acme.test`, name: "Rolf Reader", initialPassword: "initial-pass-42", password: "rolf-own-pass-7" };
  const user = await trpcMutation<{ id: string }>(page.request, "iam.users.create", { email: reader.email, name: reader.name, initialPassword: reader.initialPassword });
  await trpcMutation(page.request, "iam.policies.attach", { policyId: SMS_READ_ONLY_ACCESS_ID, principalType: "user", principalId: user.id });
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await signIn(page, reader.email, reader.initialPassword);
  await expect(page).toHaveURL(/\/change-password$/);
  await page.getByLabel("Initial password").fill(reader.initialPassword);
  await page.getByLabel("New password", { exact: true }).fill(reader.password);
  await page.getByLabel("Confirm new password").fill(reader.password);
  await page.getByRole("button", { name: "Change password and continue" }).click();
  await expect(page).toHaveURL(/\/servers$/);
}

test("a read-only user sees the task, but its actions are disabled and the server answers 403", async ({ page }) => {
  await signInAsNewReader(page);
  await page.goto("/tasks");
  await expect(page.getByRole("heading", { level: 1, name: "Migration tasks" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Create task" })).toHaveCount(0);
  await page.getByRole("link", { name: TASK_NAME }).click();
  await expect(page.getByRole("heading", { level: 1, name: TASK_NAME })).toBeVisible();
  await expect(page.getByRole("table", { name: "Subtasks" })).toBeVisible();
  await expect(page.getByRole("figure", { name: "Throughput" })).toBeVisible();
  const start = page.getByRole("button", { name: "Start" });
  await expect(start).toHaveAttribute("aria-disabled", "true");
  await expect(page.getByRole("button", { name: "Launch target server" })).toHaveAttribute("aria-disabled", "true");
  await expect(page.getByRole("button", { name: "Delete" })).toHaveAttribute("aria-disabled", "true");
  await expect(page.getByRole("form", { name: "Speed limit" })).toHaveCount(0);
  await start.hover();
  await expect(page.getByRole("tooltip").filter({ hasText: "sms:task:start" })).toBeVisible();
  await start.click({ force: true });
  await expect(page.getByTestId("task-state")).toHaveAttribute("data-state", "READY");
  await page.screenshot({ path: `${SCREENS}/task-read-only.png`, fullPage: true });

  const taskId = page.url().split("/").pop()!;
  const task = await trpcQuery<{ version: number }>(page.request, "tasks.get", { taskId });
  const response = await page.request.post("/api/trpc/tasks.start", { data: { json: { taskId, version: task.version } } });
  expect(response.status()).toBe(403);
  const after = await trpcQuery<{ state: string }>(page.request, "tasks.get", { taskId });
  expect(after.state).toBe("READY");
});

/** A loop device over a sparse file of this size, or null when this machine cannot make one (not root, no losetup). */
function sparseLoopDevice(sizeBytes: number): string | null {
  if (process.getuid?.() !== 0) return null;
  const file = path.join(tempFolder("ferry-e2e-wizard-loop-"), "disk.img");
  fs.writeFileSync(file, "");
  fs.truncateSync(file, sizeBytes);
  try {
    const device = execFileSync("losetup", ["-f", "--show", file], { encoding: "utf8" }).trim();
    loopDevices.push(device);
    return device;
  } catch {
    return null;
  }
}

test("file level onto the target's disks: the wizard offers the block devices that hold each source disk's layout", async ({ page }) => {
  await signInAsAdmin(page);
  const source = await trpcQuery<{ report: { disks: LayoutDisk[] } }>(page.request, "servers.get", { serverId: sourceId });
  const disks = source.report.disks.filter((d) => mountPointsOf(d).length > 0);
  test.skip(!disks.some((d) => mountPointsOf(d).includes("/")), "this machine's root filesystem is not on a disk (LVM, RAID, an overlay): nothing to prepare");
  // One block device per source disk, 1 GiB larger than its layout; nothing is written (the task is not created).
  const devices = disks.map((d) => sparseLoopDevice(layoutBytesOf(d) + GiB));
  test.skip(devices.includes(null), "needs root and losetup for block devices to offer");
  const diskTargetId = await registeredServerId(startAgent(["target", ...devices.flatMap((d) => ["--disk", d!]), "--receive-host", "127.0.0.1"], agentEnv));

  await page.goto("/tasks/new");
  await page.locator(`input[name="sourceServerId"][value="${sourceId}"]`).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Target server", { exact: true }).selectOption(diskTargetId);
  await page.getByRole("radio", { name: "File level" }).check();
  // This target offers no folder: its disks are the only place, chosen at once.
  const where = page.getByRole("radiogroup", { name: "Where the files go" });
  await expect(where.getByRole("radio", { name: "Into a folder" })).toBeDisabled();
  await expect(where.getByRole("radio", { name: "Onto the target's disks, prepared like the source's" })).toBeChecked();
  const table = page.getByRole("table", { name: "Target disks" });
  for (const [i, disk] of disks.entries()) {
    await expect(table.getByRole("row").filter({ hasText: disk.path })).toContainText(mountPointsOf(disk).join(", "));
    await expect(page.getByLabel(`Target disk for ${disk.path}`)).toHaveValue(devices[i]!);
  }
  await page.getByLabel("Keep the source's filesystem UUIDs").uncheck();
  await page.screenshot({ path: `${SCREENS}/wizard-2-target-disks.png`, fullPage: true });
  await page.getByRole("button", { name: "Next" }).click();

  await expect(page.getByRole("heading", { level: 2, name: "Confirm" })).toBeFocused();
  const summary = page.getByRole("definition").filter({ hasText: devices[0]! });
  await expect(summary).toContainText(`${disks[0]!.path} → ${devices[0]}, partitioned and formatted like it (erased)`);
  await expect(summary).toContainText("Filesystem UUIDs: new ones, rewritten in fstab and the boot loader at launch");
  await page.screenshot({ path: `${SCREENS}/wizard-3-confirm-disks.png`, fullPage: true });
});
