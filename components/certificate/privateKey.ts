/** The certificate's private key, generated fresh for every issuance. */

import { certificateKeyTypes, type CertificateKeyType } from "../../baseline/certificates";

/** PKCS#8 PEM, which Postfix, Dovecot and nginx all read. */
export function generateCertificateKey(keyType: CertificateKeyType): Promise<string> {
  const crypto: typeof import("node:crypto") = require("node:crypto");
  const spec = certificateKeyTypes[keyType];
  const encoding = { privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } } as const;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _publicKey: string, privateKey: string) => (error ? reject(error) : resolve(privateKey));
    if (spec.algorithm === "rsa") {
      crypto.generateKeyPair("rsa", { modulusLength: spec.bits, ...encoding }, done);
    } else {
      crypto.generateKeyPair("ec", { namedCurve: spec.curve === "P256" ? "prime256v1" : "secp384r1", ...encoding }, done);
    }
  });
}
