import { and, count, eq, isNull, ne } from "drizzle-orm";
import { groupMembers, groups, users } from "@/drizzle/schema";
import type { Db, Tx } from "../../db";
import { conflict } from "../../errors";

/**
 * The account must keep at least one enabled administrator (a member of its admin group).
 * Refuses a change that would leave none; `leaving` is the user about to stop being one.
 */
export async function assertAnotherAdminRemains(tx: Db | Tx, accountId: string, leavingUserId: string) {
  const [adminGroup] = await tx
    .select({ id: groups.id })
    .from(groups)
    .where(and(eq(groups.accountId, accountId), eq(groups.isAdmin, true)))
    .limit(1);
  if (!adminGroup) return;
  const [isMember] = await tx
    .select({ userId: groupMembers.userId })
    .from(groupMembers)
    .where(and(eq(groupMembers.groupId, adminGroup.id), eq(groupMembers.userId, leavingUserId)));
  if (!isMember) return;
  // Lock the admin group's row so two concurrent removals cannot both see "another admin remains".
  await tx.select({ id: groups.id }).from(groups).where(eq(groups.id, adminGroup.id)).for("update");
  const [others] = await tx
    .select({ n: count() })
    .from(groupMembers)
    .innerJoin(users, eq(users.id, groupMembers.userId))
    .where(and(eq(groupMembers.groupId, adminGroup.id), ne(groupMembers.userId, leavingUserId), isNull(users.disabledAt)));
  if ((others?.n ?? 0) === 0) {
    throw conflict("This is the account's last enabled administrator. Make another user an administrator first.");
  }
}
