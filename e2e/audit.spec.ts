import fs from "node:fs/promises";
import { expect, test, type Page } from "@playwright/test";
import { signInAsAdmin } from "./admin";

const SCREENS = "e2e/.artifacts/screens";

function trpcMutation(page: Page, path: string, input: unknown) {
  return page.request.post(`/api/trpc/${path}`, { data: { json: input } });
}

function localDateTime(date: Date) {
  // The value a datetime-local input holds: local time, minutes precision.
  return date.toLocaleString("sv-SE", { hour12: false }).slice(0, 16).replace(" ", "T");
}

test("the audit log filters by operation, resource, result and time, keeps filters in the URL and exports CSV", async ({ page }) => {
  const group = `auditors-${Date.now().toString(36)}`;
  await signInAsAdmin(page);
  const created = await trpcMutation(page, "iam.groups.create", { name: group, description: "seeded by audit.spec" });
  expect(created.status()).toBe(200);
  const groupId = (await created.json()).result.data.json.id as string;

  await page.goto("/audit");
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  const filters = page.getByRole("form", { name: "Filter the audit log" });
  const events = page.getByRole("table", { name: "Audit events" });
  await filters.getByLabel("Operation").fill("iam:group:create");
  await filters.getByLabel("Resource").fill(group);
  await filters.getByLabel("Result").selectOption("success");
  await filters.getByLabel("Resource").press("Enter");
  await expect(page).toHaveURL(/operation=iam%3Agroup%3Acreate/);
  await expect(events.getByRole("row")).toHaveCount(2);
  await expect(events.getByRole("row").nth(1)).toContainText(group);
  await expect(events.getByRole("row").nth(1)).toContainText("Success");
  await page.screenshot({ path: `${SCREENS}/audit-filtered.png` });

  // The filters live in the URL: a reload (or a shared link) shows the same view.
  await page.reload();
  await expect(filters.getByLabel("Operation")).toHaveValue("iam:group:create");
  await expect(filters.getByLabel("Resource")).toHaveValue(group);
  await expect(events.getByRole("row")).toHaveCount(2);

  const [download] = await Promise.all([page.waitForEvent("download"), filters.getByRole("button", { name: "Export CSV" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^ferry-audit-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = await fs.readFile((await download.path())!, "utf8");
  const lines = csv.trim().split("\r\n");
  expect(lines[0]).toBe("occurredAt,userName,accessKeyId,sourceIp,operation,resourceType,resourceId,resourceName,result,errorCode");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(`"${group}"`);

  // A time range in the future matches nothing; an inverted one is refused in the form.
  const later = new Date(Date.now() + 24 * 3600 * 1000);
  await filters.getByLabel("From").fill(localDateTime(later));
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page.getByText("No events match these filters")).toBeVisible();
  await filters.getByLabel("To").fill(localDateTime(new Date(Date.now() - 3600 * 1000)));
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(filters.getByText("The end of the time range is before its start")).toBeVisible();

  await page.getByRole("button", { name: "Clear filters" }).first().click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(events.getByRole("row").filter({ hasText: group }).first()).toBeVisible();

  await trpcMutation(page, "iam.groups.delete", { groupId });
});

test("the audit log pages with Load more", async ({ page }) => {
  await signInAsAdmin(page);
  // 55 refused updates of a group that does not exist: each is audited as a failure.
  const missing = crypto.randomUUID();
  for (let i = 0; i < 55; i++) {
    const response = await trpcMutation(page, "iam.groups.update", { groupId: missing, name: `ghost-${i}` });
    expect(response.status()).toBe(404);
  }
  await page.goto(`/audit?operation=iam%3Agroup%3Aupdate&resource=${missing}&result=failure`);
  const events = page.getByRole("table", { name: "Audit events" });
  await expect(events.getByRole("row")).toHaveCount(51);
  await expect(page.getByText("Showing 50 events")).toBeVisible();
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(events.getByRole("row")).toHaveCount(56);
  await expect(page.getByText("Showing 55 events")).toBeVisible();
  await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);
  await expect(events.getByRole("row").nth(1)).toContainText("NOT_FOUND");
});
