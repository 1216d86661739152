/** Shared pieces of the certificate tests: account keys, provider inputs for the lab, chain checks. */

import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { AcmeLab } from "../../tools/lab/acme";

/** An ACME account key as tls.PrivateKey (ECDSA P256) gives it: SEC1 PEM. */
export function accountKeyPem(): string {
  return crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "sec1", format: "pem" }).toString();
}

export const labDomains = ["mail.acme.test", "mta-sts.acme.test"];

/** Raw AcmeCertificate inputs that issue from the lab's Pebble through RFC 2136 updates to its Knot. */
export function labInputs(lab: AcmeLab, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    directory: lab.directoryUrl,
    directoryCaPem: lab.caPem,
    accountKeyPem: accountKeyPem(),
    contactEmail: "hostmaster@acme.test",
    domains: labDomains,
    solver: lab.solverConfig(),
    propagation: { nameservers: [lab.dnsServer], timeoutSeconds: 10 },
    ...overrides,
  };
}

/** `openssl verify` of leaf + chain against a root, for one host name; returns openssl's verdict. */
export function opensslVerify(rootPem: string, chainPem: string, leafPem: string, hostname: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cert-verify-"));
  try {
    fs.writeFileSync(path.join(dir, "root.pem"), rootPem);
    fs.writeFileSync(path.join(dir, "chain.pem"), chainPem);
    fs.writeFileSync(path.join(dir, "leaf.pem"), leafPem);
    return execFileSync(
      "openssl",
      ["verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "-purpose", "sslserver", "-verify_hostname", hostname, "leaf.pem"],
      { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    ).trim();
  } catch (error) {
    return `${(error as { stdout?: string }).stdout ?? ""}${(error as { stderr?: string }).stderr ?? ""}`.trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function sanDnsNames(certificatePem: string): string[] {
  const certificate = new crypto.X509Certificate(certificatePem);
  return (certificate.subjectAltName ?? "").split(", ").filter((e) => e.startsWith("DNS:")).map((e) => e.slice(4)).sort();
}
