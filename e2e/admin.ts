import { expect, type Page } from "@playwright/test";

/** The administrator that first-run setup creates; later specs sign in as them. */
export const ADMIN = {
  accountName: "Acme Migrations",
  name: "Ada Admin",
  email: "ada@acme.test",
  password: "ferry-e2e-pass-1",
};

export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signInAsAdmin(page: Page) {
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/servers$/);
}
