import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { signInAsAdmin } from "./admin";
import { createAgentUser, removeFolder, stopAgents } from "./agents";
import { trpcMutation, trpcQuery } from "./trpc";

// A whole migration with real processes: a source agent and a target agent on this machine, a
// file-level task created through the three wizard steps, the copy verified, a sync after a
// change on the source, and the launch. With DATABASE_URL the agents talk to a second console
// instance on its own port while the browser uses the first: the scale-out check.

const ROOT = path.resolve(import.meta.dirname, "..");
const AGENT = path.join(ROOT, "agent/bin/ferry-agent.mjs");
const processes: ChildProcess[] = [];
let work: string;
let agentUserId: string | undefined;



function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.name === ".ferry") continue;
      if (entry.isDirectory()) walk(child);
      else out[child] = createHash("sha256").update(fs.readFileSync(path.join(dir, child))).digest("hex");
    }
  };
  walk("");
  return out;
}

/** With DATABASE_URL, a second console instance on the same database and secrets: the agents' console. */
async function startSecondConsole(port: string): Promise<string | null> {
  const info = JSON.parse(fs.readFileSync(path.join(ROOT, "e2e/.artifacts", `server-${port}.json`), "utf8")) as { dataDir: string; databaseUrl: string | null };
  if (!info.databaseUrl) return null;
  const second = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(second)], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: info.databaseUrl, FERRY_DATA_DIR: info.dataDir, PORT: String(second), NEXTAUTH_URL: `http://localhost:${second}` },
    stdio: "ignore",
  });
  processes.push(child);
  const url = `http://localhost:${second}`;
  await expect.poll(async () => (await fetch(`${url}/api/health`).catch(() => null))?.status ?? 0, { timeout: 60_000 }).toBe(200);
  return url;
}

test.describe.configure({ mode: "serial" });

/** Stops the agents and removes their tasks and servers, so the next test (or spec) starts clean. */
async function removeAgentsAndServers(page: Page) {
  await stopAgents(processes.splice(0));
  const tasks = await trpcQuery<{ id: string; version: number }[]>(page.request, "tasks.list", {});
  for (const task of tasks) await trpcMutation(page.request, "tasks.delete", { taskId: task.id, version: task.version }).catch(() => undefined);
  for (const role of ["source", "target"] as const) {
    const list = await trpcQuery<{ items: { id: string; hostname: string }[] }>(page.request, "servers.list", { role, pageSize: 100 });
    for (const server of list.items) await trpcMutation(page.request, "servers.delete", { serverId: server.id }).catch(() => undefined);
  }
}

test.afterAll(async ({ browser }) => {
  const page = await browser.newPage();
  await signInAsAdmin(page);
  // Leave no live servers behind for the other specs, nor the agents' user.
  await removeAgentsAndServers(page);
  if (agentUserId) await trpcMutation(page.request, "iam.users.delete", { userId: agentUserId }).catch(() => undefined);
  await page.close();
  if (work) removeFolder(work);
});

test("a file-level migration through the wizard: verified copy, sync after a change, launch", async ({ page, baseURL }) => {
  test.setTimeout(240_000);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-e2e-migration-"));
  const sourceDir = path.join(work, "source-data");
  const fileRoot = path.join(work, "target-root");
  fs.mkdirSync(path.join(sourceDir, "etc/app"), { recursive: true });
  fs.mkdirSync(fileRoot);
  fs.writeFileSync(path.join(sourceDir, "etc/app/config.ini"), "[main]\nport = 8080\n");
  fs.writeFileSync(path.join(sourceDir, "data.bin"), Buffer.alloc(8 * 1024 * 1024, 7));
  fs.symlinkSync("etc/app/config.ini", path.join(sourceDir, "config-link"));

  await signInAsAdmin(page);
  const suffix = Math.random().toString(36).slice(2, 8);
  const key = await createAgentUser(page.request, "migration");
  agentUserId = key.userId;

  const port = new URL(baseURL!).port;
  const agentsConsole = (await startSecondConsole(port)) ?? baseURL!;
  test.info().annotations.push({
    type: "scale-out",
    description: agentsConsole === baseURL ? "skipped: the embedded database belongs to one process; set DATABASE_URL to run two console instances" : `agents use ${agentsConsole}, the browser ${baseURL}`,
  });
  const agentEnv = { ...process.env, FERRY_CONSOLE_URL: agentsConsole, FERRY_AK: key.accessKeyId, FERRY_SK: key.secretAccessKey };
  processes.push(
    spawn(process.execPath, [AGENT, "source", "--state-dir", path.join(work, "source-state")], { cwd: ROOT, env: agentEnv, stdio: "ignore" }),
    spawn(process.execPath, [AGENT, "target", "--state-dir", path.join(work, "target-state"), "--file-root", fileRoot, "--receive-host", "127.0.0.1"], { cwd: ROOT, env: agentEnv, stdio: "ignore" }),
  );

  // Step 1: the source.
  await page.goto("/tasks/new");
  const source = page.locator('input[name="sourceServerId"]:enabled');
  await expect(source).toHaveCount(1, { timeout: 60_000 });
  await page.screenshot({ path: "e2e/.artifacts/screens/migration-1-source.png" });
  await source.check();
  await page.getByRole("button", { name: "Next" }).click();

  // Step 2: the target, file level, the source folder.
  const targetSelect = page.getByLabel("Target server", { exact: true });
  await expect(targetSelect.locator("option:not([disabled]):not([value=''])")).toHaveCount(1, { timeout: 60_000 });
  await targetSelect.selectOption({ index: 1 });
  await page.getByRole("radio", { name: /File level/ }).check();
  await page.getByLabel("Source folder").fill(sourceDir);
  await page.screenshot({ path: "e2e/.artifacts/screens/migration-2-target.png" });
  await page.getByRole("button", { name: "Next" }).click();

  // Step 3: confirm and start now.
  await page.getByLabel("Task name").fill(`migration-${suffix}`);
  await page.getByLabel("Start now").check();
  await page.screenshot({ path: "e2e/.artifacts/screens/migration-3-confirm.png" });
  await page.getByRole("button", { name: "Create and start" }).click();
  await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}$/, { timeout: 30_000 });

  const state = page.getByTestId("task-state");
  await expect(state).toHaveAttribute("data-state", "MIGRATE_SUCCESS", { timeout: 120_000 });
  await expect(page.getByTestId("task-verification")).toContainText(/verified|identical|match/i);
  await page.screenshot({ path: "e2e/.artifacts/screens/migration-4-migrated.png", fullPage: true });
  const targets = fs.readdirSync(fileRoot);
  expect(targets).toHaveLength(1);
  const targetDir = path.join(fileRoot, targets[0]!);
  expect(treeDigest(targetDir)).toEqual(treeDigest(sourceDir));
  expect(fs.readlinkSync(path.join(targetDir, "config-link"))).toBe("etc/app/config.ini");

  // A change on the source, then a sync.
  fs.writeFileSync(path.join(sourceDir, "etc/app/config.ini"), "[main]\nport = 9090\n");
  fs.writeFileSync(path.join(sourceDir, "new-file.txt"), "added after the full copy\n");
  await page.getByRole("button", { name: "Sync", exact: true }).click();
  await expect(state).toHaveAttribute("data-state", "SYNCING", { timeout: 30_000 }).catch(() => undefined);
  await expect(state).toHaveAttribute("data-state", "MIGRATE_SUCCESS", { timeout: 120_000 });
  expect(treeDigest(targetDir)).toEqual(treeDigest(sourceDir));

  // Cut-over with a final sync: a last change on the source is carried over before the launch.
  fs.writeFileSync(path.join(sourceDir, "etc/app/config.ini"), "[main]\nport = 9191\n");
  await page.getByRole("button", { name: "Launch target server" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Run a final sync first").check();
  await dialog.getByRole("button", { name: "Launch target server" }).click();
  await expect(state).toHaveAttribute("data-state", "LAUNCHED", { timeout: 120_000 });
  expect(fs.readFileSync(path.join(targetDir, "etc/app/config.ini"), "utf8")).toBe("[main]\nport = 9191\n");
  await page.screenshot({ path: "e2e/.artifacts/screens/migration-5-launched.png", fullPage: true });
  await expect(page.getByRole("list", { name: "Events" })).toContainText(/launched/i);
});

test("a block-level migration of a server whose disk is an ext4 image: created in the wizard, verified byte for byte", async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  // This test brings a source whose disk is an image and a target offering a larger one.
  await signInAsAdmin(page);
  await removeAgentsAndServers(page);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-e2e-block-"));
  const files = path.join(dir, "files");
  fs.mkdirSync(files);
  fs.writeFileSync(path.join(files, "hello.txt"), "block level\n");
  fs.writeFileSync(path.join(files, "random.bin"), Buffer.from(Array.from({ length: 2 * 1024 * 1024 }, (_, i) => (i * 7919) % 251)));
  const sourceImage = path.join(dir, "system.img");
  execFileSync("mkfs.ext4", ["-q", "-F", "-d", files, sourceImage, "32M"]);
  const disks = path.join(dir, "target-disks");
  fs.mkdirSync(disks);
  const targetImage = path.join(disks, "vdb.img");
  fs.writeFileSync(targetImage, Buffer.alloc(0));
  fs.truncateSync(targetImage, 48 * 1024 * 1024);

  const key = await trpcMutation<{ accessKeyId: string; secretAccessKey: string }>(page.request, "iam.accessKeys.create", { userId: agentUserId, description: "e2e block agents" });
  const agentEnv = { ...process.env, FERRY_CONSOLE_URL: baseURL, FERRY_AK: key.accessKeyId, FERRY_SK: key.secretAccessKey };
  processes.push(
    spawn(process.execPath, [AGENT, "source", "--state-dir", path.join(dir, "source-state"), "--disk-images", sourceImage], { cwd: ROOT, env: agentEnv, stdio: "ignore" }),
    spawn(process.execPath, [AGENT, "target", "--state-dir", path.join(dir, "target-state"), "--disks-dir", disks, "--receive-host", "127.0.0.1"], { cwd: ROOT, env: agentEnv, stdio: "ignore" }),
  );

  await page.goto("/tasks/new");
  const source = page.locator('input[name="sourceServerId"]:enabled');
  await expect(source).toHaveCount(1, { timeout: 60_000 });
  await source.check();
  await page.getByRole("button", { name: "Next" }).click();
  const targetSelect = page.getByLabel("Target server", { exact: true });
  await expect(targetSelect.locator("option:not([disabled]):not([value=''])")).toHaveCount(1, { timeout: 60_000 });
  await targetSelect.selectOption({ index: 1 });
  await page.getByRole("radio", { name: /Block level/ }).check();
  await page.getByLabel(`Target disk for ${sourceImage}`).selectOption(fs.realpathSync(targetImage));
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Task name").fill("block-image");
  await page.getByLabel("Start now").check();
  await page.getByRole("button", { name: "Create and start" }).click();
  await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  await expect(page.getByTestId("task-state")).toHaveAttribute("data-state", "MIGRATE_SUCCESS", { timeout: 120_000 });
  await expect(page.getByTestId("task-verification")).toContainText(/verified (\d+) of \1 chunks/);
  const digest = (file: string, length: number) => {
    const fd = fs.openSync(file, "r");
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, 0);
    fs.closeSync(fd);
    return createHash("sha256").update(buffer).digest("hex");
  };
  expect(digest(targetImage, 32 * 1024 * 1024)).toBe(digest(sourceImage, 32 * 1024 * 1024));
  const taskUrl = page.url();
  const blockTaskId = taskUrl.split("/").pop()!;
  const task = await trpcQuery<{ version: number }>(page.request, "tasks.get", { taskId: blockTaskId });
  await trpcMutation(page.request, "tasks.delete", { taskId: blockTaskId, version: task.version });
  await stopAgents(processes.splice(0));
  removeFolder(dir);
});
