import { and, eq } from "drizzle-orm";
import { sourceServers, taskCertificates, tasks } from "@/drizzle/schema";
import {
  signTaskCertificateRequestSchema,
  type SignTaskCertificateRequest,
  type SignTaskCertificateResponse,
  type TaskCertificateRole,
} from "@/agent/src/protocol/v1/certificates";
import { CsrError, issuePassCertificate, readCsr } from "../../crypto/certificate-authority";
import type { Tx } from "../../db";
import { badRequest, conflict, forbidden, notFound } from "../../errors";
import { audited } from "../audit/audited";
import { loadOrCreateAccountCa } from "../certificates/account-ca";
import type { ServiceContext } from "../context";
import type { TaskRow } from "./records";

/**
 * An agent asks for its certificate for a task pass (POST /api/agent/v1/tasks/certificate). Signed
 * only for the task's own source or target agent (by role), in the caller's account, for the pass
 * running now, from a CSR whose EC P-256 key the agent proved it holds. The certificate (public) is
 * kept so the console can hand the target's to the source to pin; no private key is ever sent here.
 */
export async function signTaskCertificate(ctx: ServiceContext, input: SignTaskCertificateRequest): Promise<SignTaskCertificateResponse> {
  const data = signTaskCertificateRequestSchema.parse(input);
  const accountId = ctx.actor.accountId;
  return audited(
    ctx,
    { action: "sms:task:certificate", resourceType: "task", resourceId: data.taskId, details: { role: data.role, passId: data.passId } },
    async (tx) => {
      const [server] = await tx
        .select({ id: sourceServers.id })
        .from(sourceServers)
        .where(and(eq(sourceServers.accountId, accountId), eq(sourceServers.agentId, data.agentId)));
      if (!server) throw notFound("This agent's server (it may have been deleted in the console)");
      const [task] = await tx.select().from(tasks).where(and(eq(tasks.id, data.taskId), eq(tasks.accountId, accountId)));
      if (!task) throw notFound("Migration task");
      const roleServerId = data.role === "source" ? task.sourceServerId : task.targetServerId;
      if (server.id !== roleServerId) throw forbidden(`This agent's server is not the ${data.role} of this migration task: no certificate for it.`);
      if (task.passId !== data.passId || !["RUNNING", "SYNCING"].includes(task.state)) {
        throw conflict("This pass is not the task's running one (it was stopped, or a newer pass started): no certificate for it.");
      }
      let publicKey;
      try {
        publicKey = await readCsr(data.csrPem);
      } catch (error) {
        if (error instanceof CsrError) throw badRequest(error.message);
        throw error;
      }
      const ca = await loadOrCreateAccountCa(tx, accountId);
      const issued = await issuePassCertificate(ca, { publicKey, taskId: task.id, passId: data.passId, role: data.role });
      const stored = { certPem: issued.certPem, serialNumber: issued.serialNumber, fingerprint: issued.fingerprint, notAfter: issued.notAfter, createdAt: new Date() };
      await tx
        .insert(taskCertificates)
        .values({ accountId, taskId: task.id, passId: data.passId, role: data.role, ...stored })
        .onConflictDoUpdate({ target: [taskCertificates.taskId, taskCertificates.passId, taskCertificates.role], set: stored });
      return { value: { certPem: issued.certPem, caPem: ca.certPem }, resourceName: task.name };
    },
  );
}

/** The certificate issued to a role of the task's current pass, if that agent asked for one. */
export async function passCertificateOf(tx: Tx, task: TaskRow, role: TaskCertificateRole): Promise<string | null> {
  if (!task.passId) return null;
  const [row] = await tx
    .select({ certPem: taskCertificates.certPem })
    .from(taskCertificates)
    .where(and(eq(taskCertificates.accountId, task.accountId), eq(taskCertificates.taskId, task.id), eq(taskCertificates.passId, task.passId), eq(taskCertificates.role, role)));
  return row?.certPem ?? null;
}
