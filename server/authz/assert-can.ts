import { and, eq, inArray, or } from "drizzle-orm";
import { groupMembers, policies, policyAttachments } from "@/drizzle/schema";
import type { Db } from "../db";
import { forbidden } from "../errors";
import type { Actor, RequestMeta } from "../services/auth/actor";
import type { Action } from "./actions";
import { evaluatePolicies } from "./evaluate";
import { parsePolicyDocument, type PolicyDocument } from "./policy-schema";
import { findSystemPolicy } from "./system-policies";

type Caller = { db: Db; actor: Actor; meta: RequestMeta };

// One load per request: the caller object lives as long as the request.
const documentsByActor = new WeakMap<Actor, Promise<PolicyDocument[]>>();

/** Every policy that applies to the user: attached to them directly or to any of their groups. */
export async function loadPolicyDocuments(db: Db, actor: Actor): Promise<PolicyDocument[]> {
  const groupIds = db
    .select({ id: groupMembers.groupId })
    .from(groupMembers)
    .where(and(eq(groupMembers.userId, actor.userId), eq(groupMembers.accountId, actor.accountId)));
  const attachments = await db
    .select({ policyId: policyAttachments.policyId })
    .from(policyAttachments)
    .where(
      and(
        eq(policyAttachments.accountId, actor.accountId),
        or(
          and(eq(policyAttachments.principalType, "user"), eq(policyAttachments.principalId, actor.userId)),
          and(eq(policyAttachments.principalType, "group"), inArray(policyAttachments.principalId, groupIds)),
        ),
      ),
    );
  const ids = [...new Set(attachments.map((a) => a.policyId))];
  const documents = ids.flatMap((id) => {
    const system = findSystemPolicy(id);
    return system ? [system.document] : [];
  });
  const customIds = ids.filter((id) => !findSystemPolicy(id));
  if (customIds.length) {
    const rows = await db
      .select({ document: policies.document })
      .from(policies)
      .where(and(eq(policies.accountId, actor.accountId), inArray(policies.id, customIds)));
    for (const row of rows) {
      // Stored documents were validated on save; one that no longer parses grants nothing.
      const parsed = parsePolicyDocument(row.document);
      if (parsed.ok) documents.push(parsed.document);
    }
  }
  return documents;
}

function documentsFor(caller: Caller) {
  let documents = documentsByActor.get(caller.actor);
  if (!documents) {
    documents = loadPolicyDocuments(caller.db, caller.actor);
    documentsByActor.set(caller.actor, documents);
  }
  return documents;
}

/** Forget cached permissions after a change to them within the same request. */
export function forgetPermissions(actor: Actor) {
  documentsByActor.delete(actor);
}

export async function can(caller: Caller, action: Action, resource?: string): Promise<boolean> {
  const result = evaluatePolicies(await documentsFor(caller), {
    action,
    resource,
    context: {
      "g:SourceIp": caller.meta.ip,
      "g:CurrentTime": new Date().toISOString(),
      "g:SecureTransport": caller.meta.isSecure ?? false,
      "g:ViaAccessKey": caller.actor.accessKeyId !== undefined,
      "g:UserId": caller.actor.userId,
      "g:UserName": caller.actor.email,
    },
  });
  return result.decision === "allow";
}

/** The first line of every service verb: refuses with FORBIDDEN unless a policy allows it. */
export async function assertCan(caller: Caller, action: Action, resource?: string): Promise<void> {
  if (!(await can(caller, action, resource))) {
    throw forbidden(`You do not have permission for ${action}. Ask an administrator for a policy that allows it.`);
  }
}
