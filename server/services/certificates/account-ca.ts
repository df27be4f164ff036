import { eq } from "drizzle-orm";
import { accountCertificateAuthorities } from "@/drizzle/schema";
import { createCertificateAuthority, loadCertificateAuthority, type CertificateAuthority } from "../../crypto/certificate-authority";
import { openSecret, sealSecret } from "../../crypto/secret-box";
import type { Tx } from "../../db";
import { getSecrets } from "../../secrets";

/** Binds a sealed CA key to its account: copied into another account's row, it does not open. */
export const accountCaAad = (accountId: string) => `ferry:account-ca:${accountId}`;

/**
 * The account's task CA, made the first time it is needed. Its private key is kept sealed with the
 * master key and opened only here, in memory, to sign. Two requests making it at once both end up
 * with the one row that won the insert.
 */
export async function loadOrCreateAccountCa(tx: Tx, accountId: string): Promise<CertificateAuthority & { certPem: string }> {
  const find = () => tx.select().from(accountCertificateAuthorities).where(eq(accountCertificateAuthorities.accountId, accountId));
  let [row] = await find();
  if (!row) {
    const made = await createCertificateAuthority(accountId);
    const sealedPrivateKey = sealSecret(getSecrets().masterKey, made.privateKeyPem, accountCaAad(accountId));
    await tx.insert(accountCertificateAuthorities).values({ accountId, certPem: made.certPem, sealedPrivateKey }).onConflictDoNothing();
    [row] = await find();
    if (!row) throw new Error("the account CA was neither found nor made");
  }
  const privateKeyPem = openSecret(getSecrets().masterKey, row.sealedPrivateKey, accountCaAad(accountId));
  return { ...(await loadCertificateAuthority(row.certPem, privateKeyPem)), certPem: row.certPem };
}
