import crypto from "node:crypto";
import type tls from "node:tls";

/**
 * How the two ends of a transfer authenticate each other.
 * - "token" (direct mode): both derive a TLS 1.3 pre-shared key from the shared token, so the
 *   handshake itself fails on a wrong token: no certificate, and no byte of session data, before
 *   both ends proved they know it. PSK with (EC)DHE key exchange keeps forward secrecy.
 * - "certificate" (console mode, later): each side has a key it made locally and a certificate the
 *   control plane signed from its CSR; each pins the peer's certificate it got from the console.
 */
export type TransferCredentials =
  | { kind: "token"; token: string }
  | { kind: "certificate"; certPem: string; keyPem: string; peerCertPem: string };

const PSK_IDENTITY = "ferry-direct-v1";
const CIPHERS = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
const pskCache = new Map<string, Buffer>();

/**
 * scrypt, not a plain hash: a captured handshake lets an eavesdropper test token guesses offline,
 * so each guess should cost. Tokens should still be long and random (e.g. `openssl rand -hex 16`).
 */
export function derivePsk(token: string): Buffer {
  let psk = pskCache.get(token);
  if (!psk) {
    psk = crypto.scryptSync(token, "ferry direct-mode tls13 psk", 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    pskCache.set(token, psk);
  }
  return psk;
}

function fingerprint(pem: string): string {
  return new crypto.X509Certificate(pem).fingerprint256;
}

export function serverTlsOptions(creds: TransferCredentials): tls.TlsOptions {
  const base: tls.TlsOptions = { minVersion: "TLSv1.3", ciphers: CIPHERS };
  if (creds.kind === "token") {
    const psk = derivePsk(creds.token);
    return {
      ...base,
      pskIdentityHint: PSK_IDENTITY,
      pskCallback: (_socket, identity) => (identity === PSK_IDENTITY ? psk : null),
    };
  }
  return { ...base, cert: creds.certPem, key: creds.keyPem, ca: [creds.peerCertPem], requestCert: true, rejectUnauthorized: true };
}

export function clientTlsOptions(creds: TransferCredentials): tls.ConnectionOptions {
  const base: tls.ConnectionOptions = { minVersion: "TLSv1.3", ciphers: CIPHERS };
  if (creds.kind === "token") {
    const psk = derivePsk(creds.token);
    return { ...base, pskCallback: () => ({ psk, identity: PSK_IDENTITY }), checkServerIdentity: () => undefined };
  }
  const pinned = fingerprint(creds.peerCertPem);
  return {
    ...base,
    cert: creds.certPem,
    key: creds.keyPem,
    ca: [creds.peerCertPem],
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) =>
      cert.fingerprint256 === pinned ? undefined : new Error("target certificate does not match the pinned one"),
  };
}
