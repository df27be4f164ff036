import { and, eq } from "drizzle-orm";
import { sourceServers } from "@/drizzle/schema";
import type { Db } from "../../db";
import { notFound } from "../../errors";

/**
 * The server an agent registered as, looked up within the caller's account only: an agent id of
 * another account is simply not found.
 */
export async function findAgentServer(db: Db, accountId: string, agentId: string) {
  const [row] = await db
    .select({ id: sourceServers.id, hostname: sourceServers.hostname })
    .from(sourceServers)
    .where(and(eq(sourceServers.accountId, accountId), eq(sourceServers.agentId, agentId)));
  if (!row) throw notFound("This agent's source server (it may have been deleted in the console)");
  return row;
}
