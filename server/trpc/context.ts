import "server-only";
import { getSessionActor } from "../auth";
import { getDb } from "../db";
import { clientIpFrom } from "../request-meta";
import type { TrpcContext } from "./init";

export async function createTrpcContext(opts: { headers: Headers }): Promise<TrpcContext> {
  return {
    db: await getDb(),
    actor: await getSessionActor(),
    meta: { ip: clientIpFrom(opts.headers) },
  };
}
