import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, request, test } from "@playwright/test";
import { currentNativeFsTarget, nativeFsKey } from "../agent/src/transfer/files/native/native-fs-build";
import { signInAsAdmin } from "./admin";
import { createAgentUser, removeFolder, stopAgents } from "./agents";
import { trpcMutation } from "./trpc";

// The Source servers pages with a real agent registered against the console under test.

const ROOT = path.resolve(import.meta.dirname, "..");
let agent: ChildProcess | undefined;
let stateDir: string;
let agentUserId: string | undefined;


test.beforeAll(async ({ browser, baseURL }) => {
  const page = await browser.newPage();
  await signInAsAdmin(page);
  // The agent signs as a user of its own with SMS FullAccess, as an operator would set it up.
  const key = await createAgentUser(page.request, "servers");
  agentUserId = key.userId;
  await page.close();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-e2e-agent-"));
  agent = spawn(process.execPath, [path.join(ROOT, "agent/bin/ferry-agent.mjs"), "source"], {
    cwd: ROOT,
    env: { ...process.env, FERRY_CONSOLE_URL: baseURL, FERRY_AK: key.accessKeyId, FERRY_SK: key.secretAccessKey, FERRY_AGENT_STATE_DIR: stateDir },
    stdio: "ignore",
  });
});

test.afterAll(async ({ browser }) => {
  if (agent) await stopAgents([agent]);
  if (stateDir) removeFolder(stateDir);
  if (!agentUserId) return;
  const page = await browser.newPage();
  await signInAsAdmin(page);
  await trpcMutation(page.request, "iam.users.delete", { userId: agentUserId });
  await page.close();
});

test("a registered source is listed connected, with its details, check, commands and downloadable logs", async ({ page }) => {
  const hostname = os.hostname();
  await signInAsAdmin(page);
  const table = page.getByRole("table", { name: "Source servers" });
  const row = table.getByRole("row").filter({ hasText: hostname });
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row.getByText("Connected")).toBeVisible();

  await page.getByRole("searchbox", { name: "Search" }).fill("no-such-host-anywhere");
  await expect(page.getByText("No source server matches.")).toBeVisible();
  await page.getByRole("searchbox", { name: "Search" }).fill(hostname);
  await row.getByRole("link", { name: hostname }).click();

  await expect(page.getByRole("heading", { level: 1, name: hostname })).toBeVisible();
  await expect(page.getByRole("tab", { name: "Source info", selected: true })).toBeVisible();
  await expect(page.getByText("Kernel", { exact: true })).toBeVisible();
  await expect(page.getByRole("table", { name: "Disks and partitions" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Network interfaces" })).toBeVisible();

  await page.getByRole("tab", { name: "Source check" }).click();
  const checks = page.getByRole("table", { name: "Checks" });
  await expect(checks.getByRole("row").filter({ hasText: "Linux source server" })).toBeVisible();
  await expect(page.getByText("Block-level migration", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Re-run check" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The check ran again" })).toBeVisible();

  await page.getByRole("button", { name: "Collect logs" }).click();
  await expect(page.getByRole("status").filter({ hasText: "asked for its log" })).toBeVisible();
  await page.getByRole("tab", { name: "Commands and logs" }).click();
  await expect(page.getByRole("table", { name: "Commands" }).getByRole("row").filter({ hasText: "Collect logs" }).getByText("Succeeded")).toBeVisible({ timeout: 30_000 });
  const download = page.waitForEvent("download");
  await page.getByRole("table", { name: "Agent logs" }).getByRole("button", { name: /^Download / }).first().click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^ferry-agent-.*\.log$/);
  const text = fs.readFileSync(await file.path(), "utf8");
  expect(text).toContain("registered as a new source server");
});

test("the Agent page offers the bundle with its SHA-256 and the commands for this console", async ({ page, baseURL }) => {
  await signInAsAdmin(page);
  await page.goto("/agent");
  const sha = (await page.getByTestId("agent-sha256").textContent())!.trim();
  expect(sha).toMatch(/^[0-9a-f]{64}$/);
  const response = await page.request.get("/api/agent/download");
  expect(response.ok()).toBe(true);
  const body = await response.body();
  expect(createHash("sha256").update(body).digest("hex")).toBe(sha);
  expect(body.subarray(0, 19).toString()).toBe("#!/usr/bin/env node");
  await expect(page.getByText(`ferry-agent init --console ${baseURL} --ak <your AK>`)).toBeVisible();
  await expect(page.getByRole("link", { name: "Download ferry-agent" })).toHaveAttribute("href", "/api/agent/download");

  // The file-transfer addon for agents without a C compiler (this machine has cc, so the console built it).
  const addonSha = (await page.getByTestId("native-addon-sha256").textContent())!.trim();
  expect(addonSha).toMatch(/^[0-9a-f]{64}$/);
  await expect(page.getByRole("region", { name: "File-transfer addon" })).toContainText(`built for ${process.platform}-${process.arch}`);
  const target = currentNativeFsTarget();
  const query = new URLSearchParams({ platform: target.platform, arch: target.arch, napi: String(target.napi), key: nativeFsKey(target) });
  // Fetched as an agent does: no session.
  const agentRequest = await request.newContext({ baseURL });
  const addon = await agentRequest.get(`/api/agent/download/native?${query}`);
  expect(addon.status()).toBe(200);
  expect(createHash("sha256").update(await addon.body()).digest("hex")).toBe(addonSha);
  query.set("key", "0000000000000000");
  const other = await agentRequest.get(`/api/agent/download/native?${query}`);
  expect(other.status()).toBe(404);
  await agentRequest.dispose();
});
