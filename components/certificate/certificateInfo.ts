/** What the resource reports about an issued certificate. */

export interface IssuedCertificate {
  /** The leaf certificate alone. */
  readonly certificatePem: string;
  /** The intermediates the CA sent, leaf excluded, in order. */
  readonly chainPem: string;
  readonly privateKeyPem: string;
  /** ISO 8601. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** Lower-case hex, no separators. */
  readonly serial: string;
}

export function splitPemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Checks that what the CA sent is a certificate for the key we generated and for every name we
 * asked for, and reads its dates and serial.
 */
export function describeIssuedCertificate(fullChainPem: string, privateKeyPem: string, domains: readonly string[]): IssuedCertificate {
  const crypto: typeof import("node:crypto") = require("node:crypto");
  const [leafPem, ...intermediates] = splitPemCertificates(fullChainPem);
  if (leafPem === undefined) throw new Error("the CA sent no certificate");
  const leaf = new crypto.X509Certificate(leafPem);
  if (!leaf.checkPrivateKey(crypto.createPrivateKey(privateKeyPem))) {
    throw new Error("the CA sent a certificate for a different key");
  }
  const names = subjectAltDnsNames(leaf);
  const missing = domains.filter((d) => !names.includes(d.toLowerCase()));
  if (missing.length > 0) throw new Error(`the CA sent a certificate without ${missing.join(", ")}`);
  return {
    certificatePem: `${leafPem}\n`,
    chainPem: intermediates.map((c) => `${c}\n`).join(""),
    privateKeyPem,
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    serial: leaf.serialNumber.toLowerCase(),
  };
}

export function subjectAltDnsNames(certificate: import("node:crypto").X509Certificate): string[] {
  return (certificate.subjectAltName ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => entry.slice(4).toLowerCase());
}
