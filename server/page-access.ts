import "server-only";
import { redirect } from "next/navigation";
import { getSessionActor } from "./auth";
import { getDb } from "./db";
import { isSetupNeeded } from "./services/setup/status";

/** For console pages: the signed-in user, or a redirect to setup or sign-in. */
export async function requireActor() {
  const actor = await getSessionActor();
  if (actor) return actor;
  if (await isSetupNeeded(await getDb())) redirect("/setup");
  redirect("/sign-in");
}
