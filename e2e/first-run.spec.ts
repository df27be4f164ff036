import { expect, test } from "@playwright/test";
import { ADMIN } from "./admin";

test("first run: an empty console asks for setup, validates, creates the administrator and signs in", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Welcome to Ferry" })).toBeVisible();

  // Nothing filled in: every field says what it needs and nothing is created.
  await page.getByRole("button", { name: "Create account and sign in" }).click();
  await expect(page.getByText("Name the account (at least 2 characters)")).toBeVisible();
  await expect(page.getByText("Enter an email address")).toBeVisible();
  await expect(page.getByText("Use at least 10 characters")).toBeVisible();

  await page.getByLabel("Account name").fill(ADMIN.accountName);
  await page.getByLabel("Your name").fill(ADMIN.name);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Confirm password").fill("something-else-1");
  await page.getByRole("button", { name: "Create account and sign in" }).click();
  await expect(page.getByText("The passwords do not match")).toBeVisible();

  await page.getByLabel("Confirm password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create account and sign in" }).click();
  await expect(page).toHaveURL(/\/servers$/);
  await expect(page.getByTestId("signed-in-user")).toContainText(ADMIN.name);
  await expect(page.getByTestId("account-name")).toHaveText(ADMIN.accountName);
  await page.screenshot({ path: "e2e/.artifacts/screens/first-run-servers.png" });

  // Setup is closed once a user exists.
  await page.goto("/setup");
  await expect(page).not.toHaveURL(/\/setup$/);
});
