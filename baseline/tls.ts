/** Transport security numbers shared by every listener, the certificates and the Cloudflare zone. */

/**
 * The oldest protocol any listener (25, 465, 587, 993, 443) negotiates, port 25 included.
 * @source RFC 8996 (TLS 1.0 and 1.1 deprecated); internet.nl mail test; Mozilla intermediate 5.7
 */
export const minimumTlsVersion = "TLSv1.2";
/**
 * Every protocol a listener may offer.
 * @source RFC 8996; Mozilla server-side TLS guidelines 5.7 (intermediate)
 */
export const allowedTlsVersions: readonly string[] = ["TLSv1.2", "TLSv1.3"];
/**
 * Versions no listener may offer (Postfix, Dovecot and nginx spellings alike).
 * @source RFC 8996; RFC 7568 (SSLv3); RFC 6176 (SSLv2)
 */
export const forbiddenTlsVersions: readonly string[] = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1"];

/**
 * Mozilla intermediate (guidelines 6.0), ECDHE AEAD only: internet.nl rates non-RFC 7919 DHE groups insufficient.
 * @source Mozilla server-side TLS guidelines (intermediate); internet.nl mail test (DH groups)
 */
export const tls12CipherSuites: readonly string[] = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
];

/**
 * Cipher classes that must never be offered (OpenSSL names).
 * @source RFC 7525 section 4.1; RFC 7465 (RC4); Postfix TLS_README (anonymous suites on by default)
 */
export const forbiddenCipherClasses: readonly string[] = ["aNULL", "eNULL", "EXPORT", "DES", "3DES", "RC4", "MD5", "PSK", "SRP"];

/**
 * A certificate is renewed by the next `pulumi up` once this many days or fewer remain.
 * @source Let's Encrypt's integration guide (renew with a third of the lifetime left); the product spec
 */
export const certificateRenewBeforeDays = 30;

/**
 * Expiry alert levels, from the product spec: 30 days warning, 7 alert, 1 critical.
 * @source the product spec (certificate expiry alerts)
 */
export const certificateExpiryLevels = [
  { level: "critical", withinDays: 1 },
  { level: "alert", withinDays: 7 },
  { level: "warning", withinDays: 30 },
] as const;

/**
 * Cloudflare zone settings every tenant zone carries.
 * @source Cloudflare's SSL/TLS recommendations; the product spec (TLS 1.2 minimum)
 */
export const cloudflareZoneSettings = {
  min_tls_version: "1.2",
  ssl: "strict",
  always_use_https: "on",
  tls_1_3: "on",
} as const;

/**
 * The only CA that may issue for a tenant, and only through DNS-01 (CAA, RFC 8659 and RFC 8657).
 * @source RFC 8659; RFC 8657 (validationmethods, accounturi)
 */
export const certificateAuthorityCaa = {
  issuerDomain: "letsencrypt.org",
  validationMethods: ["dns-01"],
} as const;
