// @peculiar/x509, set up once for the agent: it builds on WebCrypto (Node's, here) and resolves its
// algorithms through tsyringe, which needs the Reflect metadata API loaded before it.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
