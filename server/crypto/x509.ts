// @peculiar/x509, set up once for the console: Node 20 has no API to read a CSR or sign a
// certificate, so this pure-JS library does it on top of Node's WebCrypto. It resolves its algorithms
// through tsyringe, which needs the Reflect metadata API loaded before it.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
