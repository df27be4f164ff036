import { expect, test } from "@playwright/test";
import { ADMIN, signIn, signInAsAdmin } from "./admin";

test("a wrong password is refused and the user stays signed out", async ({ page }) => {
  await signIn(page, ADMIN.email, "not-the-password-1");
  await expect(page.getByRole("alert").filter({ hasText: "Email or password is incorrect." })).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto("/tasks");
  await expect(page).toHaveURL(/\/sign-in/);
});

test("signed out, every console page sends you to sign in", async ({ page }) => {
  for (const path of ["/servers", "/iam", "/audit", "/templates/server"]) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/sign-in/);
  }
  const response = await page.request.get("/api/trpc/session.me");
  expect(response.status()).toBe(401);
});

test("sign in, visit every section from the sidebar, sign out", async ({ page }) => {
  await signInAsAdmin(page);
  // Each section's own content is covered by its own spec; here: the shell reaches every one.
  const sections = [
    { link: "Source servers", url: "/servers" },
    { link: "Migration tasks", url: "/tasks" },
    { link: "Target servers", url: "/targets" },
    { link: "Migration templates", url: "/templates/migration" },
    { link: "Server templates", url: "/templates/server" },
    { link: "IAM", url: "/iam" },
    { link: "Audit log", url: "/audit" },
    { link: "Agent", url: "/agent" },
  ];
  const nav = page.getByRole("navigation", { name: "Console" });
  for (const section of sections) {
    await nav.getByRole("link", { name: section.link, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${section.url}(/[a-z-]+)?$`));
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expect(page.getByRole("heading", { level: 1 })).not.toHaveText(/error|not found/i);
    await expect(nav.getByRole("link", { name: section.link, exact: true })).toHaveAttribute("aria-current", "page");
  }

  const me = await page.request.get("/api/trpc/session.me");
  expect(me.status()).toBe(200);
  expect(JSON.stringify(await me.json())).toContain(ADMIN.email);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto("/servers");
  await expect(page).toHaveURL(/\/sign-in/);
});
