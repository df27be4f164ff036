import { X509Certificate, webcrypto } from "node:crypto";
import { UserError } from "../errors";
import { signTaskCertificateResponseSchema, type TaskCertificateRole } from "../protocol/v1/certificates";
import { API } from "./agent-loop";
import { backoffDelayMs, sleep } from "./backoff";
import type { ConsoleApi } from "./console-client";
import { isRetryable } from "./errors";
import { x509 } from "./x509";

/** ECDSA P-256 with SHA-256: the only key the console signs for a pass. */
const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** A console that is briefly unreachable should not fail the pass: a few quick tries, then give up. */
const ATTEMPTS = 3;

/** What an agent holds for one pass: its own key (never sent), its certificate and the account CA. */
export type PassCertificate = { certPem: string; keyPem: string; caPem: string };

/**
 * Makes a fresh P-256 key for the pass in this process, sends the console only a CSR for it, and
 * returns the certificate the console issued with the key beside it. The key lives in memory for as
 * long as the pass runs: a pass that outlives its agent process is started again, with a new key.
 */
export async function obtainPassCertificate(
  consoleApi: ConsoleApi,
  request: { agentId: string; taskId: string; passId: string; role: TaskCertificateRole },
  signal?: AbortSignal,
): Promise<PassCertificate> {
  const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  // The console ignores the CSR's subject and writes its own names; the CN only helps a human reading it.
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=ferry-${request.role}`, keys, signingAlgorithm: KEY_ALGORITHM });
  const body = { ...request, csrPem: csr.toString("pem") };
  for (let attempt = 1; ; attempt++) {
    try {
      const issued = await consoleApi.call(API.taskCertificate, body, signTaskCertificateResponseSchema, { signal });
      const publicKey = Buffer.from(await webcrypto.subtle.exportKey("spki", keys.publicKey));
      if (!new X509Certificate(issued.certPem).publicKey.export({ type: "spki", format: "der" }).equals(publicKey)) {
        throw new UserError("the console answered the certificate request with a certificate for another key");
      }
      const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
      return { certPem: issued.certPem, keyPem, caPem: issued.caPem };
    } catch (error) {
      if (!isRetryable(error) || attempt >= ATTEMPTS || signal?.aborted) throw error;
      await sleep(backoffDelayMs(attempt - 1), signal);
    }
  }
}
