import { randomBytes, webcrypto } from "node:crypto";
import { taskCertificateName, type TaskCertificateRole } from "../../protocol/v1/certificates";
import { x509 } from "../x509";

const EC_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/**
 * A stand-in for the console's account CA in agent tests (the agent may not import the console's
 * code): signs pass certificates with the names and usages the console gives them, and can make
 * certificates the console never would (wrong role, wrong pass) to test the refusals.
 */
export class TestCa {
  private constructor(
    readonly caPem: string,
    private readonly cert: x509.X509Certificate,
    private readonly key: CryptoKey,
  ) {}

  static async create(name = "Test task CA"): Promise<TestCa> {
    const keys = (await webcrypto.subtle.generateKey(EC_P256, false, ["sign", "verify"])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: `CN=${name}`,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 24 * 3600_000),
      signingAlgorithm: EC_P256,
      keys,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    return new TestCa(cert.toString("pem"), cert, keys.privateKey);
  }

  /** Signs a CSR as the console does: name taskCertificateName(...), usage by role. */
  async sign(csrPem: string, pass: { taskId: string; passId: string; role: TaskCertificateRole }, usage: TaskCertificateRole = pass.role): Promise<string> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify())) throw new Error("the CSR's signature does not verify");
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: `1${randomBytes(8).toString("hex")}`,
      subject: `CN=ferry-${pass.role}`,
      issuer: this.cert.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
      signingAlgorithm: EC_P256,
      publicKey: csr.publicKey,
      signingKey: this.key,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([usage === "target" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: taskCertificateName(pass.taskId, pass.passId, pass.role) }]),
      ],
    });
    return cert.toString("pem");
  }

  /** A key made here and a certificate for it: what an agent would hold after its CSR was signed. */
  async issue(pass: { taskId: string; passId: string; role: TaskCertificateRole }, usage: TaskCertificateRole = pass.role): Promise<{ certPem: string; keyPem: string; caPem: string }> {
    const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: "CN=test", keys, signingAlgorithm: EC_P256 });
    const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
    return { certPem: await this.sign(csr.toString("pem"), pass, usage), keyPem, caPem: this.caPem };
  }
}
