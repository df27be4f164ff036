import crypto from "node:crypto";
import type tls from "node:tls";

/**
 * How the two ends of a transfer authenticate each other.
 * - "token" (direct mode): both derive a TLS 1.3 pre-shared key from the shared token, so the
 *   handshake itself fails on a wrong token: no certificate, and no byte of session data, before
 *   both ends proved they know it. PSK with (EC)DHE key exchange keeps forward secrecy.
 * - "certificate" (console mode): each side has a P-256 key it made itself for the pass and a
 *   certificate the console's account CA signed from its CSR. The source (client) pins the target's
 *   certificate the console handed it; the target (server) takes only a client certificate of the
 *   same CA whose name is this pass's source (see protocol/v1/certificates.ts).
 */
export type TransferCredentials = { kind: "token"; token: string } | CertificateCredentials;

export type CertificateCredentials = {
  kind: "certificate";
  certPem: string;
  keyPem: string;
  /** The account CA both ends' certificates chain to. */
  caPem: string;
  /** Client side: the only server certificate accepted (compared by SHA-256 fingerprint). */
  peerCertPem?: string;
  /** Server side: the URI name the client certificate must carry. */
  peerName?: string;
};

const PSK_IDENTITY = "ferry-direct-v1";
const CIPHERS = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
const pskCache = new Map<string, Buffer>();

/**
 * scrypt, not a plain hash: a captured handshake lets an eavesdropper test token guesses offline,
 * so each guess should cost. Tokens should still be long and random (e.g. `openssl rand -hex 16`).
 */
const PSK_SALT = "ferry direct-mode tls13 psk";
const PSK_PARAMS: crypto.ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const pskPending = new Map<string, Promise<Buffer>>();

export function derivePsk(token: string): Buffer {
  let psk = pskCache.get(token);
  if (!psk) {
    psk = crypto.scryptSync(token, PSK_SALT, 32, PSK_PARAMS);
    pskCache.set(token, psk);
  }
  return psk;
}

/**
 * The same key, derived on the thread pool: scrypt takes about a sixth of a second, which a
 * sender spends loading and walking instead of waiting (the CLI starts it before loading a command).
 */
export function derivePskAsync(token: string): Promise<Buffer> {
  const known = pskCache.get(token);
  if (known) return Promise.resolve(known);
  let pending = pskPending.get(token);
  if (!pending) {
    pending = new Promise<Buffer>((resolve, reject) =>
      crypto.scrypt(token, PSK_SALT, 32, PSK_PARAMS, (error, key) => {
        pskPending.delete(token);
        if (error) return reject(error);
        pskCache.set(token, key);
        resolve(key);
      }),
    );
    pskPending.set(token, pending);
  }
  return pending;
}

/** Whatever the credentials need computed before a handshake, off the event loop. */
export async function readyCredentials(creds: TransferCredentials): Promise<void> {
  if (creds.kind === "token") await derivePskAsync(creds.token);
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
  if (!creds.peerName) throw new Error("a certificate receiver needs the name its client must carry");
  // OpenSSL checks the chain to the account CA (and the clientAuth usage) in the handshake;
  // refusesPeer checks the name right after it.
  return { ...base, cert: creds.certPem, key: creds.keyPem, ca: [creds.caPem], requestCert: true, rejectUnauthorized: true };
}

/** The URIs of a certificate's subject alternative name, from Node's "URI:a, DNS:b" form. */
function uriNames(subjectAltName: string | undefined): string[] {
  return (subjectAltName ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice(4));
}

/**
 * Server side, first thing in the connection handler: drops an authenticated client whose
 * certificate names another peer (say, the source of another task of the same account). Node
 * verifies the chain during the handshake but has no hook for the name, so this runs right after
 * it, before a byte of the session is read. Token credentials have nothing more to check.
 */
export function refusesPeer(creds: TransferCredentials, socket: tls.TLSSocket, log: (line: string) => void): boolean {
  if (creds.kind === "token") return false;
  const names = uriNames(socket.getPeerCertificate()?.subjectaltname);
  if (socket.authorized && creds.peerName && names.includes(creds.peerName)) return false;
  log(`refused a connection from ${socket.remoteAddress ?? "?"}: its certificate names ${names.join(", ") || "nothing"}, not ${creds.peerName ?? "this pass's source"}`);
  socket.destroy();
  return true;
}

export function clientTlsOptions(creds: TransferCredentials): tls.ConnectionOptions {
  const base: tls.ConnectionOptions = { minVersion: "TLSv1.3", ciphers: CIPHERS };
  if (creds.kind === "token") {
    const psk = derivePsk(creds.token);
    return { ...base, pskCallback: () => ({ psk, identity: PSK_IDENTITY }), checkServerIdentity: () => undefined };
  }
  if (!creds.peerCertPem) throw new Error("a certificate sender needs the target certificate to pin");
  const pinned = fingerprint(creds.peerCertPem);
  return {
    ...base,
    cert: creds.certPem,
    key: creds.keyPem,
    ca: [creds.caPem],
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) =>
      cert.fingerprint256 === pinned ? undefined : new Error("target certificate does not match the pinned one"),
  };
}
