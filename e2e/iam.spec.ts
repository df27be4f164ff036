import fs from "node:fs/promises";
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, signIn, signInAsAdmin } from "./admin";

const SCREENS = "e2e/.artifacts/screens";

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
}

/** One tRPC mutation as the browser's session would send it (superjson envelope). */
function trpcMutation(page: Page, path: string, input: unknown) {
  return page.request.post(`/api/trpc/${path}`, { data: { json: input } });
}

test("an administrator creates a read-only user, who must change the initial password, cannot change anything, and is audited", async ({ page }) => {
  const suffix = Date.now().toString(36);
  const reader = { email: `rita-${suffix}@acme.test`, name: "Rita Reader", initialPassword: "initial-pass-42", password: "rita-own-pass-7" };

  await signInAsAdmin(page);
  await page.goto("/iam/users");
  await expect(page.getByRole("heading", { level: 1, name: "IAM" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "IAM" }).getByRole("link", { name: "Users" })).toHaveAttribute("aria-current", "page");

  // Create the user with an initial password.
  await page.getByRole("button", { name: "Create user" }).first().click();
  const create = page.getByRole("dialog", { name: "Create user" });
  await expect(create.getByText("must change the password at first sign-in")).toBeVisible();
  await create.getByRole("button", { name: "Create user" }).click();
  await expect(create.getByText("Enter an email address")).toBeVisible();
  await expect(create.getByText("Use at least 10 characters")).toBeVisible();
  await create.getByLabel("Email").fill(reader.email);
  await create.getByLabel("Name").fill(reader.name);
  await create.getByLabel("Initial password").fill(reader.initialPassword);
  await create.getByRole("button", { name: "Create user" }).click();
  await expect(create).toBeHidden();
  const row = page.getByTestId(`user-row-${reader.email}`);
  await expect(row).toContainText(reader.name);
  await expect(row).toContainText("Initial password");

  // Attach SMS ReadOnlyAccess to them.
  await page.getByRole("button", { name: `Policies of ${reader.email}` }).click();
  const policies = page.getByRole("dialog", { name: `Policies of ${reader.email}` });
  await expect(policies.getByText("No policies are attached")).toBeVisible();
  await policies.getByLabel("Policy to attach").selectOption({ label: "SMS ReadOnlyAccess (system)" });
  await policies.getByRole("button", { name: "Attach" }).click();
  await expect(policies.getByRole("list", { name: `Policies attached to ${reader.email}` })).toContainText("SMS ReadOnlyAccess");
  await page.screenshot({ path: `${SCREENS}/iam-user-policies.png` });
  await policies.getByRole("button", { name: "Close" }).click();
  await page.screenshot({ path: `${SCREENS}/iam-users.png` });
  await signOut(page);

  // The new user is sent to choose their own password before anything else.
  await signIn(page, reader.email, reader.initialPassword);
  await expect(page).toHaveURL(/\/change-password$/);
  await page.goto("/iam/users");
  await expect(page).toHaveURL(/\/change-password$/);
  await page.getByLabel("Initial password").fill(reader.initialPassword);
  await page.getByLabel("New password", { exact: true }).fill(reader.password);
  await page.getByLabel("Confirm new password").fill("something-else-9");
  await page.getByRole("button", { name: "Change password and continue" }).click();
  await expect(page.getByText("The passwords do not match")).toBeVisible();
  await page.getByLabel("Confirm new password").fill(reader.password);
  await page.screenshot({ path: `${SCREENS}/change-password.png` });
  await page.getByRole("button", { name: "Change password and continue" }).click();
  await expect(page).toHaveURL(/\/servers$/);
  await expect(page.getByTestId("signed-in-user")).toContainText(reader.name);

  // Read-only: the IAM pages offer nothing to create or delete and say what is missing.
  await page.goto("/iam/users");
  await expect(page.getByText("You don't have permission to view users")).toBeVisible();
  await expect(page.getByText("iam:user:list")).toBeVisible();
  await expect(page.getByRole("button", { name: "Create user" })).toHaveCount(0);
  await page.screenshot({ path: `${SCREENS}/iam-read-only.png` });
  await page.goto("/iam/groups");
  await expect(page.getByText("You don't have permission to view user groups")).toBeVisible();
  await expect(page.getByRole("button", { name: "Create user group" })).toHaveCount(0);
  await page.goto("/iam/policies");
  await expect(page.getByText("You don't have permission to view policies")).toBeVisible();
  await expect(page.getByRole("link", { name: "Create custom policy" })).toHaveCount(0);
  await page.goto("/iam/credentials");
  await expect(page.getByRole("button", { name: "Create access key" })).toHaveCount(0);
  await page.goto("/audit");
  await expect(page.getByText("You don't have permission to view the audit log")).toBeVisible();
  await expect(page.getByRole("button", { name: "Export CSV" })).toHaveCount(0);

  // What the UI hides, the server refuses.
  const refused = await trpcMutation(page, "iam.groups.create", { name: "x" });
  expect(refused.status()).toBe(403);
  expect(JSON.stringify(await refused.json())).toContain("iam:group:create");
  await signOut(page);

  // The administrator finds both their own changes and the refused attempt in the audit log.
  await signInAsAdmin(page);
  await page.goto("/audit");
  const filters = page.getByRole("form", { name: "Filter the audit log" });
  const events = page.getByRole("table", { name: "Audit events" });
  await filters.getByLabel("Result").selectOption("failure");
  await filters.getByLabel("User").fill(reader.email);
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/result=failure/);
  const refusal = events.getByRole("row").filter({ hasText: "iam:group:create" });
  await expect(refusal).toHaveCount(1);
  await expect(refusal).toContainText(reader.email);
  await expect(refusal).toContainText("Failure");
  await expect(refusal).toContainText("FORBIDDEN");
  await page.screenshot({ path: `${SCREENS}/audit-refused.png` });

  await filters.getByLabel("Result").selectOption("success");
  await filters.getByLabel("User").fill(ADMIN.email);
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/result=success/);
  await expect(events.getByRole("row").filter({ hasText: "iam:user:create" }).filter({ hasText: reader.email })).toHaveCount(1);
  await expect(events.getByRole("row").filter({ hasText: "iam:policy:attach" }).filter({ hasText: "SMS ReadOnlyAccess" })).toHaveCount(1);
  await page.screenshot({ path: `${SCREENS}/audit-admin-actions.png` });

  // Clean up: delete the user (with confirmation), which leaves the administrator alone again.
  await page.goto("/iam/users");
  await page.getByRole("button", { name: `Delete ${reader.email}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete ${reader.email}?` });
  await confirm.getByRole("button", { name: "Delete user" }).click();
  await expect(page.getByTestId(`user-row-${reader.email}`)).toHaveCount(0);
});

test("an administrator writes a custom policy in the JSON editor: live errors, summary, save, conflict, delete", async ({ page }) => {
  const name = `Task starters ${Date.now().toString(36)}`;
  await signInAsAdmin(page);
  await page.goto("/iam/policies");
  await expect(page.getByRole("table", { name: "Policies" }).getByRole("row").filter({ hasText: "SMS ReadOnlyAccess" })).toContainText("System");
  await page.getByRole("link", { name: "Create custom policy" }).first().click();
  await expect(page).toHaveURL(/\/iam\/policies\/new$/);

  await page.getByLabel("Policy name").fill(name);
  const editor = page.getByLabel("Policy document (JSON)");
  const problems = page.getByTestId("policy-problems");
  const summary = page.getByRole("region", { name: "What this allows" });
  await editor.fill(
    JSON.stringify({ Version: "1.1", Statement: [{ Effect: "Allow", Action: ["sms:task:list", "sms:task:begin"] }] }, null, 2),
  );
  await expect(problems).toContainText("Statement[0].Action[1]");
  await expect(problems).toContainText('"sms:task:begin" matches no known action');
  await expect(editor).toHaveAttribute("aria-invalid", "true");
  await page.screenshot({ path: `${SCREENS}/policy-editor-error.png`, fullPage: true });

  // Saving is refused in the form while the document is invalid.
  await page.getByRole("button", { name: "Create policy" }).click();
  await expect(page.getByText("Fix the problems in the policy document before saving.")).toBeVisible();

  await editor.fill(
    JSON.stringify({ Version: "1.1", Statement: [{ Effect: "Allow", Action: ["sms:task:list", "sms:task:get", "sms:task:start"] }] }, null, 2),
  );
  await expect(problems).toHaveCount(0);
  await expect(page.getByText("Fix the problems in the policy document before saving.")).toHaveCount(0);
  await expect(page.getByText("The policy is valid.")).toBeVisible();
  await expect(summary).toContainText("sms:task");
  await expect(summary).toContainText("Start a migration task");
  await page.screenshot({ path: `${SCREENS}/policy-editor-valid.png`, fullPage: true });
  await page.getByRole("button", { name: "Create policy" }).click();
  await expect(page).toHaveURL(/\/iam\/policies\/[0-9a-f-]{36}\?created=1$/);
  await expect(page.getByText("The policy was created.")).toBeVisible();
  const policyId = /policies\/([0-9a-f-]{36})/.exec(page.url())![1]!;

  // Someone else saves a newer version meanwhile: this editor is told, and reloads.
  const concurrent = await page.request.post("/api/trpc/iam.policies.update", {
    data: {
      json: {
        policyId,
        version: 1,
        name,
        description: "Changed in another tab",
        document: { Version: "1.1", Statement: [{ Effect: "Allow", Action: ["sms:task:list"] }] },
      },
    },
  });
  expect(concurrent.status()).toBe(200);
  await page.getByLabel("Description").fill("My change");
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Someone else changed this policy" })).toBeVisible();
  await page.screenshot({ path: `${SCREENS}/policy-conflict.png`, fullPage: true });
  await page.getByRole("button", { name: "Reload policy" }).click();
  await expect(page.getByLabel("Description")).toHaveValue("Changed in another tab");
  await expect(page.getByText("version 2")).toBeVisible();
  await page.getByLabel("Description").fill("Start and watch tasks");
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText("The policy was saved (version 3).")).toBeVisible();

  // System policies are read-only.
  await page.goto("/iam/policies");
  await page.getByRole("link", { name: "SMS ReadOnlyAccess" }).click();
  await expect(page.getByText("System policies are built into Ferry and cannot be edited.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Save policy" })).toHaveCount(0);

  // Delete the custom one.
  await page.goto(`/iam/policies/${policyId}`);
  await page.getByRole("button", { name: "Delete policy" }).click();
  await page.getByRole("dialog", { name: `Delete the policy ${name}?` }).getByRole("button", { name: "Delete policy" }).click();
  await expect(page).toHaveURL(/\/iam\/policies$/);
  await expect(page.getByRole("link", { name })).toHaveCount(0);
});

test("an administrator creates an access key and sees its secret exactly once, with a CSV download", async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto("/iam/credentials");
  await page.getByRole("button", { name: "Create access key" }).first().click();
  const create = page.getByRole("dialog", { name: "Create access key" });
  await create.getByLabel("Description").fill("e2e agent");
  await create.getByRole("button", { name: "Create" }).click();

  const shown = page.getByRole("dialog", { name: "Access key created" });
  await expect(shown).toContainText("will never show it again");
  const ak = (await shown.getByTestId("created-ak").textContent())!.trim();
  const sk = (await shown.getByTestId("created-sk").textContent())!.trim();
  expect(ak).toMatch(/^[A-Z0-9]{20}$/);
  expect(sk.length).toBeGreaterThanOrEqual(30);
  await page.screenshot({ path: `${SCREENS}/access-key-created.png` });

  const [download] = await Promise.all([page.waitForEvent("download"), shown.getByRole("button", { name: "Download CSV" }).click()]);
  expect(download.suggestedFilename()).toBe("credentials.csv");
  const csv = await fs.readFile((await download.path())!, "utf8");
  expect(csv).toBe(`User Name,Access Key Id,Secret Access Key\r\n${ADMIN.email},${ak},${sk}\r\n`);

  await shown.getByRole("button", { name: "I have saved it" }).click();
  const keys = page.getByRole("table", { name: "Access keys" });
  await expect(keys.getByRole("row").filter({ hasText: ak })).toContainText("Never used");
  await expect(page.getByText(sk)).toHaveCount(0);
  await page.reload();
  await expect(keys.getByRole("row").filter({ hasText: ak })).toContainText("Active");
  expect(await page.content()).not.toContain(sk);

  await page.getByRole("button", { name: `Disable access key ${ak}` }).click();
  await expect(keys.getByRole("row").filter({ hasText: ak })).toContainText("Disabled");
  await page.getByRole("button", { name: `Delete access key ${ak}` }).click();
  await page.getByRole("dialog", { name: `Delete access key ${ak}?` }).getByRole("button", { name: "Delete access key" }).click();
  await expect(keys.getByRole("row").filter({ hasText: ak })).toHaveCount(0);
});

test("an administrator manages a user group: members, policies, rename, delete; the administrators' group keeps its system policies", async ({ page }) => {
  const name = `operators-${Date.now().toString(36)}`;
  await signInAsAdmin(page);
  await page.goto("/iam/groups");
  await page.getByRole("button", { name: "Create user group" }).first().click();
  const create = page.getByRole("dialog", { name: "Create user group" });
  await create.getByRole("button", { name: "Create group" }).click();
  await expect(create.getByText("Enter a name")).toBeVisible();
  await create.getByLabel("Group name").fill(name);
  await create.getByLabel("Description").fill("Run migrations");
  await create.getByRole("button", { name: "Create group" }).click();
  await expect(page).toHaveURL(/\/iam\/groups\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: `User group ${name}` })).toBeVisible();
  await expect(page.getByText("No one is in this group yet.")).toBeVisible();

  await page.getByLabel("User to add").selectOption({ label: ADMIN.email });
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("list", { name: `Members of ${name}` })).toContainText(ADMIN.email);
  await page.getByLabel("Policy to attach").selectOption({ label: "SMS FullAccess (system)" });
  await page.getByRole("button", { name: "Attach" }).click();
  await expect(page.getByRole("list", { name: `Policies attached to ${name}` })).toContainText("SMS FullAccess");
  await page.screenshot({ path: `${SCREENS}/iam-group.png`, fullPage: true });

  const renamed = `${name}-eu`;
  await page.getByLabel("Group name").fill(renamed);
  await page.getByRole("button", { name: "Save group" }).click();
  await expect(page.getByText("The group was saved.")).toBeVisible();
  await expect(page.getByRole("heading", { name: `User group ${renamed}` })).toBeVisible();
  await page.getByRole("button", { name: `Remove ${ADMIN.email} from ${renamed}` }).click();
  await expect(page.getByText("No one is in this group yet.")).toBeVisible();
  await page.getByRole("button", { name: "Detach SMS FullAccess" }).click();
  await expect(page.getByText(`No policies are attached to ${renamed}`)).toBeVisible();

  // The server refuses to strip the administrators' group; the page shows why.
  await page.goto("/iam/groups");
  await expect(page.getByRole("button", { name: "Delete admin" })).toHaveCount(0);
  await page.getByRole("link", { name: "admin", exact: true }).click();
  await page.getByRole("button", { name: "Detach IAM FullAccess" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The administrators' group keeps its system policies" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Policies attached to admin" })).toContainText("IAM FullAccess");

  await page.goto("/iam/groups");
  await page.getByRole("button", { name: `Delete ${renamed}` }).click();
  await page.getByRole("dialog", { name: `Delete the group ${renamed}?` }).getByRole("button", { name: "Delete group" }).click();
  await expect(page.getByRole("link", { name: renamed })).toHaveCount(0);
});
