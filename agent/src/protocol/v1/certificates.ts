import { z } from "zod";

// Per-pass TLS certificates in console mode. Each agent makes an ECDSA P-256 key for the pass on its
// own machine and posts only a CSR; the console signs it with the account's CA and keeps the issued
// certificate (public). The target listens with its certificate and takes only a client certificate
// of the same CA that names this pass's source; the source pins the target's certificate, which the
// console hands it in task_send. No private key ever crosses this API.

export const TASK_CERTIFICATE_ROLES = ["source", "target"] as const;
export type TaskCertificateRole = (typeof TASK_CERTIFICATE_ROLES)[number];

/** Largest CSR the console reads: a P-256 CSR in PEM is about 500 bytes. */
export const MAX_CSR_PEM_CHARS = 8192;

/** POST /api/agent/v1/tasks/certificate — the calling agent's server must be the task's `role`. */
export const signTaskCertificateRequestSchema = z.strictObject({
  agentId: z.string().uuid(),
  taskId: z.string().uuid(),
  passId: z.string().uuid(),
  role: z.enum(TASK_CERTIFICATE_ROLES),
  /** PKCS #10 in PEM, signed with the pass's key (ECDSA P-256, SHA-256). */
  csrPem: z.string().min(1).max(MAX_CSR_PEM_CHARS),
});
export type SignTaskCertificateRequest = z.infer<typeof signTaskCertificateRequestSchema>;

export const signTaskCertificateResponseSchema = z.object({
  /** The issued certificate, PEM. */
  certPem: z.string().min(1),
  /** The account CA's certificate, PEM: what the peer's certificate must chain to. */
  caPem: z.string().min(1),
});
export type SignTaskCertificateResponse = z.infer<typeof signTaskCertificateResponseSchema>;

/**
 * The name a pass certificate carries as its URI subject alternative name. The target checks the
 * client's against `taskCertificateName(taskId, passId, "source")`, so a certificate issued for
 * another task or pass of the same account does not open this receiver.
 */
export function taskCertificateName(taskId: string, passId: string, role: TaskCertificateRole): string {
  return `urn:ferry:task:${taskId}:pass:${passId}:${role}`;
}
