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
  const sections = [
    { link: "Source servers", heading: "Source servers", url: "/servers", empty: "No source servers yet" },
    { link: "Migration tasks", heading: "Migration tasks", url: "/tasks", empty: "No migration tasks yet" },
    { link: "Target servers", heading: "Target servers", url: "/targets", empty: "No target servers yet" },
    { link: "Migration templates", heading: "Migration templates", url: "/templates/migration", empty: "No migration templates yet" },
    { link: "Server templates", heading: "Server templates", url: "/templates/server", empty: "No server templates yet" },
    { link: "IAM", heading: "IAM", url: "/iam", empty: "Only the administrator exists" },
    { link: "Audit log", heading: "Audit log", url: "/audit", empty: "Nothing to show yet" },
    { link: "Agent", heading: "Agent", url: "/agent", empty: "Agent downloads are not available yet" },
  ];
  const nav = page.getByRole("navigation", { name: "Console" });
  for (const section of sections) {
    await nav.getByRole("link", { name: section.link, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${section.url}$`));
    await expect(page.getByRole("heading", { level: 1, name: section.heading, exact: true })).toBeVisible();
    await expect(page.getByText(section.empty)).toBeVisible();
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
