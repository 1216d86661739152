/** Which keys a tenant's TLS certificate may have. */

import { tlsAllowedEcdsaCurves, tlsRsaMinimumBits } from "./keys";

export type CertificateKeySpec =
  | { readonly algorithm: "ecdsa"; readonly curve: "P256" | "P384" }
  | { readonly algorithm: "rsa"; readonly bits: number };

/**
 * ECDSA P-256 is the default: small, fast, accepted everywhere. RSA stays available for
 * clients that still cannot do ECDSA; 3072 bits is the recommended RSA size.
 * @source Let's Encrypt's supported key types; Mozilla server-side TLS guidelines 5.7
 */
export const certificateKeyTypes = {
  "ecdsa-p256": { algorithm: "ecdsa", curve: "P256" },
  "ecdsa-p384": { algorithm: "ecdsa", curve: "P384" },
  "rsa-2048": { algorithm: "rsa", bits: tlsRsaMinimumBits },
  "rsa-3072": { algorithm: "rsa", bits: 3072 },
  "rsa-4096": { algorithm: "rsa", bits: 4096 },
} as const satisfies Record<string, CertificateKeySpec>;

export type CertificateKeyType = keyof typeof certificateKeyTypes;

/**
 * The key type of a tenant's certificate unless the config asks for another.
 * @source Mozilla server-side TLS guidelines 5.7 (intermediate: ECDSA P-256)
 */
export const defaultCertificateKeyType: CertificateKeyType = "ecdsa-p256";

/**
 * The names the tenant config accepts for acme.keyType.
 * @source certificateKeyTypes above
 */
export const certificateKeyTypeNames: readonly CertificateKeyType[] = Object.keys(certificateKeyTypes) as CertificateKeyType[];

export function isCertificateKeyType(value: unknown): value is CertificateKeyType {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(certificateKeyTypes, value);
}

/** Whether a key spec meets the TLS key minimums of keys.ts. */
export function meetsTlsKeyMinimums(spec: CertificateKeySpec): boolean {
  return spec.algorithm === "rsa" ? spec.bits >= tlsRsaMinimumBits : tlsAllowedEcdsaCurves.includes(spec.curve);
}

/**
 * How long a certificate key stays current before a scheduled rollover promotes the next key.
 * Renewals keep the key (the TLSA record names the key), so this is the key's whole cryptoperiod.
 * @source NIST SP 800-57 Part 1 Rev. 5 section 5.3.6 (private signature keys: one to three years); RFC 7671 section 8.1
 */
export const certificateKeyRolloverDays = 365;

/**
 * A next key is used only after its TLSA record has been published this many TTLs: every resolver
 * that cached the TLSA RRset without it has fetched it again by then.
 * @source RFC 7671 section 8.1 ("current + next" rollover); RFC 7672 section 4 (TLSA RRset caching)
 */
export const tlsaPublicationTtls = 2;

/**
 * Added to the TTL wait: the key set times a key from when its generation was planned, which
 * precedes the TLSA record's publication by the rest of that `pulumi up`.
 * @source this project's `pulumi up` (minutes); Cloudflare's DNS propagation (seconds)
 */
export const tlsaPublicationMarginSeconds = 900;
