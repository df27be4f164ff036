import { accounts, groupMembers, groups, policyAttachments, users } from "@/drizzle/schema";
import { IAM_FULL_ACCESS, SMS_FULL_ACCESS } from "../../authz/system-policies";
import type { Tx } from "../../db";

/**
 * A new account with its administrators' group (IAM FullAccess and SMS FullAccess, for good)
 * and its first user in that group.
 */
export async function provisionAccount(
  tx: Tx,
  input: { accountName: string; email: string; name: string; passwordHash: string },
) {
  const [account] = await tx.insert(accounts).values({ name: input.accountName }).returning();
  const [user] = await tx
    .insert(users)
    .values({ accountId: account!.id, email: input.email, name: input.name, passwordHash: input.passwordHash, isAccountOwner: true })
    .returning();
  const [admins] = await tx
    .insert(groups)
    .values({ accountId: account!.id, name: "admin", description: "Administrators: full access to IAM and migrations", isAdmin: true })
    .returning();
  await tx.insert(groupMembers).values({ accountId: account!.id, groupId: admins!.id, userId: user!.id });
  await tx.insert(policyAttachments).values(
    [IAM_FULL_ACCESS, SMS_FULL_ACCESS].map((policy) => ({
      accountId: account!.id,
      policyId: policy.id,
      principalType: "group" as const,
      principalId: admins!.id,
    })),
  );
  return { account: account!, user: user!, adminGroup: admins! };
}
