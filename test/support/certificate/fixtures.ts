/** Shared pieces of the certificate tests: account keys, provider inputs for the lab, the names a certificate carries. */

import * as crypto from "node:crypto";
import type { AcmeLab } from "../../../tools/lab/acme";

/** An ACME account key as tls.PrivateKey (ECDSA P256) gives it: SEC1 PEM. */
export function accountKeyPem(): string {
  return crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "sec1", format: "pem" }).toString();
}

/** A certificate key as CertificateKeySet makes it: PKCS#8 PEM, ECDSA P-256 unless asked otherwise. */
export function certificateKeyPem(spec: { rsaBits?: number } = {}): string {
  const pair = spec.rsaBits ? crypto.generateKeyPairSync("rsa", { modulusLength: spec.rsaBits }) : crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

export const labDomains = ["mail.acme.test", "mta-sts.acme.test"];

/** Raw AcmeCertificate inputs that issue from the lab's Pebble through RFC 2136 updates to its Knot. */
export function labInputs(lab: AcmeLab, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    directory: lab.directoryUrl,
    directoryCaPem: lab.caPem,
    accountKeyPem: accountKeyPem(),
    privateKeyPem: certificateKeyPem(),
    contactEmail: "hostmaster@acme.test",
    domains: labDomains,
    solver: lab.solverConfig(),
    propagation: { nameservers: [lab.dnsServer], timeoutSeconds: 10 },
    ...overrides,
  };
}

export function sanDnsNames(certificatePem: string): string[] {
  const certificate = new crypto.X509Certificate(certificatePem);
  return (certificate.subjectAltName ?? "").split(", ").filter((e) => e.startsWith("DNS:")).map((e) => e.slice(4)).sort();
}
