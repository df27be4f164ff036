/**
 * The X.509 work of an account's task CA, free of any storage: make the CA, read an agent's CSR,
 * issue a pass certificate. Every key is ECDSA P-256 with SHA-256. Keys of the agents never come
 * here: only their CSRs, whose public key goes into the certificate.
 */
import { X509Certificate, randomBytes, webcrypto } from "node:crypto";
import { taskCertificateName, type TaskCertificateRole } from "@/agent/src/protocol/v1/certificates";
import { x509 } from "./x509";

const EC_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const CA_LIFETIME_MS = 10 * 365 * 24 * 3600_000;
/** Pass certificates start a little in the past, so an agent whose clock is slightly behind takes them. */
export const PASS_CERTIFICATE_BACKDATE_MS = 5 * 60_000;
/** Longer than a pass may run (a receiver gives up after a day); short enough that a leaked one soon dies. */
export const PASS_CERTIFICATE_LIFETIME_MS = 7 * 24 * 3600_000;

/** A CSR the console will not sign; the message says why, for the agent's user. */
export class CsrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CsrError";
  }
}

export type CertificateAuthority = { cert: x509.X509Certificate; signingKey: CryptoKey };

export type IssuedCertificate = { certPem: string; serialNumber: string; fingerprint: string; notAfter: Date };

/** A positive 128-bit serial number, in hex (the top bit clear: DER integers are signed). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString("hex");
}

/** A new self-signed CA for the account: its certificate, and its private key as PKCS #8 PEM to seal at once. */
export async function createCertificateAuthority(accountId: string, now = new Date()): Promise<{ certPem: string; privateKeyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=Ferry task CA, O=Ferry account ${accountId}`,
    notBefore: new Date(now.getTime() - PASS_CERTIFICATE_BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    signingAlgorithm: EC_P256,
    keys,
    extensions: [
      // pathLength 0: it signs pass certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { certPem: cert.toString("pem"), privateKeyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") };
}

/** The CA as stored: its certificate and its opened private key (not extractable once imported). */
export async function loadCertificateAuthority(certPem: string, privateKeyPem: string): Promise<CertificateAuthority> {
  const der = x509.PemConverter.decodeFirst(privateKeyPem);
  const signingKey = await webcrypto.subtle.importKey("pkcs8", der, EC_P256, false, ["sign"]);
  return { cert: new x509.X509Certificate(certPem), signingKey };
}

/**
 * The public key of a CSR the console is willing to sign: a PEM PKCS #10 request whose key is EC
 * P-256 and whose signature verifies (so the requester holds the key). Anything else is a CsrError.
 */
export async function readCsr(csrPem: string): Promise<x509.PublicKey> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem.trim());
  } catch {
    throw new CsrError("The CSR is not a PEM-encoded PKCS #10 certificate request.");
  }
  let algorithm: { name?: string; namedCurve?: string };
  try {
    algorithm = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  } catch {
    throw new CsrError("The CSR's key is of a kind this console does not sign: use an ECDSA P-256 key.");
  }
  if (algorithm.name !== "ECDSA" || algorithm.namedCurve !== "P-256") {
    const kind = [algorithm.name, algorithm.namedCurve].filter(Boolean).join(" ") || "unknown";
    throw new CsrError(`The CSR's key is ${kind}: this console signs ECDSA P-256 keys only.`);
  }
  let isValid = false;
  try {
    isValid = await csr.verify();
  } catch {
    isValid = false;
  }
  if (!isValid) throw new CsrError("The CSR's signature does not verify: it was not signed with the key it carries.");
  return csr.publicKey;
}

/**
 * A certificate for one role of one task pass. Names: CN ferry-<role>-<passId>, and the URI
 * taskCertificateName(...) that the target checks on its client. Usage: digital signature; TLS server
 * for the target, TLS client for the source (OpenSSL enforces it, so neither can stand in for the other).
 */
export async function issuePassCertificate(
  ca: CertificateAuthority,
  subject: { publicKey: x509.PublicKey; taskId: string; passId: string; role: TaskCertificateRole },
  now = new Date(),
): Promise<IssuedCertificate> {
  const serialNumber = randomSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: `CN=ferry-${subject.role}-${subject.passId}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - PASS_CERTIFICATE_BACKDATE_MS),
    notAfter: new Date(now.getTime() + PASS_CERTIFICATE_LIFETIME_MS),
    signingAlgorithm: EC_P256,
    publicKey: subject.publicKey,
    signingKey: ca.signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([subject.role === "target" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: taskCertificateName(subject.taskId, subject.passId, subject.role) }], false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  const certPem = cert.toString("pem");
  return { certPem, serialNumber, fingerprint: new X509Certificate(certPem).fingerprint256, notAfter: cert.notAfter };
}
