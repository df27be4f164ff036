import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accountId } from "./accounts";
import { createdAt, id, timestamptz } from "./columns";
import { serverRole } from "./servers";
import { tasks } from "./tasks";

/**
 * Each account's certificate authority for task passes (ECDSA P-256), made the first time a pass
 * needs a certificate. Its private key is sealed with the console's master key, bound to the account
 * (server/services/certificates/account-ca.ts); the certificate is public and kept in clear.
 */
export const accountCertificateAuthorities = pgTable(
  "account_certificate_authorities",
  {
    id: id(),
    accountId: accountId(),
    certPem: text().notNull(),
    /** PKCS #8, sealed (server/crypto/secret-box.ts): never in clear at rest. */
    sealedPrivateKey: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("account_certificate_authorities_account_id_idx").on(t.accountId)],
);

/**
 * The certificates issued for a task pass, one per role: public only (the agents keep their keys).
 * The target's is what the console hands the source to pin; a repeated request for the same pass
 * and role replaces it.
 */
export const taskCertificates = pgTable(
  "task_certificates",
  {
    id: id(),
    accountId: accountId(),
    taskId: uuid()
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    passId: uuid().notNull(),
    role: serverRole().notNull(),
    certPem: text().notNull(),
    /** Hex, as in the certificate. */
    serialNumber: text().notNull(),
    /** SHA-256 of the DER, colon-separated upper-case hex (as Node and openssl print it). */
    fingerprint: text().notNull(),
    notAfter: timestamptz().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("task_certificates_task_id_pass_id_role_idx").on(t.taskId, t.passId, t.role),
    index("task_certificates_account_id_idx").on(t.accountId),
  ],
);
