import type { Db } from "../db";
import type { Actor, RequestMeta } from "./auth/actor";

/** What every service verb receives: the database, who is calling, and from where. */
export type ServiceContext = { db: Db; actor: Actor; meta: RequestMeta };
