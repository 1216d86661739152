import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import type { BundleFile, HostService } from "../bundleFile";
import { hostLayout } from "../hostLayout";

/** The certificate and key every TLS listener serves, PEM. */
export interface TlsCertificatePems {
  /** The leaf certificate followed by its chain. */
  readonly fullchainPem: string;
  readonly privateKeyPem: string;
}

/**
 * Postfix, Dovecot and nginx all read the one certificate pair, so a renewal reloads the three.
 * The files are listed under postfix (a BundleFile names one service) and these reload with it.
 */
export const tlsFileConsumers: readonly HostService[] = ["postfix", "dovecot", "nginx"];

export const tlsPaths: readonly string[] = [hostLayout.tls.fullchain, hostLayout.tls.privateKey];

/**
 * The TLS files of the bundle, after checking that the key is the certificate's: a mismatched
 * pair would pass every config checker and fail every handshake.
 */
export function tlsBundleFiles(certificate: TlsCertificatePems): BundleFile[] {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certificate.fullchainPem);
  } catch (err) {
    throw new Error(`TLS certificate: fullchainPem is not a PEM certificate (${(err as Error).message})`);
  }
  let publicFromKey: string;
  try {
    publicFromKey = createPublicKey(createPrivateKey(certificate.privateKeyPem)).export({ type: "spki", format: "pem" }).toString();
  } catch {
    // The parser's message can quote the input: never let key material reach an error.
    throw new Error("TLS certificate: privateKeyPem is not a PEM private key");
  }
  if (leaf.publicKey.export({ type: "spki", format: "pem" }).toString() !== publicFromKey) {
    throw new Error(`TLS certificate: the private key does not belong to the certificate for ${leaf.subject.replace(/\n/g, ", ")}`);
  }
  const withNewline = (pem: string) => (pem.endsWith("\n") ? pem : `${pem}\n`);
  return [
    { path: hostLayout.tls.fullchain, content: withNewline(certificate.fullchainPem), mode: 0o644, owner: "root", group: "root", service: "postfix" },
    { path: hostLayout.tls.privateKey, content: withNewline(certificate.privateKeyPem), mode: 0o600, owner: "root", group: "root", service: "postfix", secret: true },
  ];
}
