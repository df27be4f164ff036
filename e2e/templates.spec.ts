import { expect, test } from "@playwright/test";
import { signInAsAdmin } from "./admin";

const SCREENS = "e2e/.artifacts/screens";

test("migration templates: inline errors from the shared schema, then create, edit, make default and delete", async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto("/templates/migration");
  await expect(page.getByRole("heading", { level: 1, name: "Migration templates" })).toBeVisible();
  await expect(page.getByText("No migration templates yet")).toBeVisible();

  await page.getByRole("button", { name: "Create migration template" }).first().click();
  const form = page.getByRole("region", { name: "New migration template" });
  await expect(form.getByRole("heading", { name: "New migration template" })).toBeFocused();
  await form.getByLabel("Name", { exact: true }).fill("Nightly e2e");
  await form.getByLabel("Speed limit (Mbit/s)").fill("-5");
  await form.getByRole("button", { name: "Add speed window" }).click();
  await form.getByLabel("Window 1 start").fill("25:00");
  await form.getByRole("button", { name: "Create template" }).click();
  await expect(form.getByText("The speed limit must be more than 0")).toBeVisible();
  await expect(form.getByLabel("Speed limit (Mbit/s)")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByText("Start: Use HH:MM, 00:00 to 23:59")).toBeVisible();
  await expect(form.getByLabel("Window 1 start")).toHaveAttribute("aria-invalid", "true");
  await page.screenshot({ path: `${SCREENS}/templates-migration-errors.png`, fullPage: true });

  await form.getByLabel("Speed limit (Mbit/s)").fill("200");
  await form.getByLabel("Window 1 start").fill("22:00");
  await form.getByLabel("Window 1 end").fill("06:00");
  await form.getByLabel("Window 1 limit (Mbit/s)").fill("50");
  await form.getByLabel("Compress data in transit").check();
  await form.getByLabel("Default template").check();
  await form.getByRole("button", { name: "Create template" }).click();
  await expect(page.getByText('Created the migration template "Nightly e2e".')).toBeVisible();
  const table = page.getByRole("table", { name: "Migration templates" });
  const row = table.getByRole("row").filter({ hasText: "Nightly e2e" });
  await expect(row).toContainText("Default");
  await expect(row).toContainText("200 Mbit/s; 22:00–06:00 50 Mbit/s");
  await expect(row).toContainText("Block");

  // Edit: file level with exclusions (continuous sync is block level only, so it is greyed out).
  await row.getByRole("button", { name: "Edit Nightly e2e" }).click();
  const edit = page.getByRole("region", { name: 'Edit migration template "Nightly e2e"' });
  await expect(edit.getByLabel("Speed limit (Mbit/s)")).toHaveValue("200");
  await edit.getByRole("radio", { name: "File level" }).check();
  await expect(edit.getByLabel("Continuous sync after the full copy")).toBeDisabled();
  await edit.getByLabel("Exclusions").fill("/var/cache/**\n/tmp/**\n");
  await page.screenshot({ path: `${SCREENS}/templates-migration-edit.png`, fullPage: true });
  await edit.getByRole("button", { name: "Save template" }).click();
  await expect(page.getByText('Saved the migration template "Nightly e2e".')).toBeVisible();
  await expect(row.getByRole("cell").nth(1)).toHaveText("File");

  // A second template made the default takes the mark off the first.
  await page.getByRole("button", { name: "Create migration template" }).click();
  const second = page.getByRole("region", { name: "New migration template" });
  await second.getByLabel("Name", { exact: true }).fill("Daytime e2e");
  await second.getByLabel("Default template").check();
  await second.getByRole("button", { name: "Create template" }).click();
  await expect(table.getByRole("row").filter({ hasText: "Daytime e2e" })).toContainText("Default");
  await expect(row).not.toContainText("Default");
  await page.screenshot({ path: `${SCREENS}/templates-migration.png`, fullPage: true });

  await table.getByRole("button", { name: "Delete Daytime e2e" }).click();
  const confirm = page.getByRole("dialog", { name: 'Delete the migration template "Daytime e2e"?' });
  await confirm.getByRole("button", { name: "Delete template" }).click();
  await expect(confirm).toBeHidden();
  await expect(table.getByRole("row").filter({ hasText: "Daytime e2e" })).toHaveCount(0);
  await expect(page.getByText('Deleted the migration template "Daytime e2e".')).toBeVisible();
});

test("server templates: network and host name validated, then create, edit and delete", async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto("/templates/server");
  await expect(page.getByRole("heading", { level: 1, name: "Server templates" })).toBeVisible();
  await expect(page.getByText("No server templates yet")).toBeVisible();

  await page.getByRole("button", { name: "Create server template" }).first().click();
  const form = page.getByRole("region", { name: "New server template" });
  await form.getByLabel("Name", { exact: true }).fill("Web tier e2e");
  await form.getByRole("radio", { name: "Smallest that fits" }).check();
  await form.getByRole("radio", { name: "Set a static address" }).check();
  await form.getByLabel("Address with prefix").fill("10.0.0.5");
  await form.getByLabel("Gateway").fill("10.0.0.1");
  await form.getByLabel("DNS servers").fill("10.0.0.2, 1.1.1.1");
  await form.getByLabel("Host name").fill("web_01!");
  await form.getByRole("button", { name: "Create template" }).click();
  await expect(form.getByText("Use an IPv4 address with its prefix, e.g. 10.0.0.5/24")).toBeVisible();
  await expect(form.getByText("Use letters, digits, dots and hyphens")).toBeVisible();
  await page.screenshot({ path: `${SCREENS}/templates-server-errors.png`, fullPage: true });
  await form.getByLabel("Address with prefix").fill("10.0.0.5/24");
  await form.getByLabel("Host name").fill("web-01");
  await form.getByRole("button", { name: "Create template" }).click();
  await expect(page.getByText('Created the server template "Web tier e2e".')).toBeVisible();

  const table = page.getByRole("table", { name: "Server templates" });
  const row = table.getByRole("row").filter({ hasText: "Web tier e2e" });
  await expect(row).toContainText("Smallest that fits");
  await expect(row).toContainText("10.0.0.5/24 via 10.0.0.1, DNS 10.0.0.2, 1.1.1.1");
  await expect(row).toContainText("web-01");
  await expect(row).toContainText("Chosen in the wizard");

  await row.getByRole("button", { name: "Edit Web tier e2e" }).click();
  const edit = page.getByRole("region", { name: 'Edit server template "Web tier e2e"' });
  await expect(edit.getByLabel("Address with prefix")).toHaveValue("10.0.0.5/24");
  await edit.getByRole("radio", { name: "Keep the source's addresses" }).check();
  await edit.getByLabel("Host name").fill("");
  await edit.getByRole("button", { name: "Save template" }).click();
  await expect(page.getByText('Saved the server template "Web tier e2e".')).toBeVisible();
  await expect(row).toContainText("Keep the source's");
  await page.screenshot({ path: `${SCREENS}/templates-server.png`, fullPage: true });

  await row.getByRole("button", { name: "Delete Web tier e2e" }).click();
  await page.getByRole("dialog", { name: 'Delete the server template "Web tier e2e"?' }).getByRole("button", { name: "Delete template" }).click();
  await expect(page.getByText("No server templates yet")).toBeVisible();
});
