/** Transport security numbers shared by every listener, the certificates and the Cloudflare zone. */

export const minimumTlsVersion = "TLSv1.2";
export const allowedTlsVersions: readonly string[] = ["TLSv1.2", "TLSv1.3"];
/** Versions no listener may offer (Postfix, Dovecot and nginx spellings alike). */
export const forbiddenTlsVersions: readonly string[] = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1"];

/** Mozilla intermediate (guidelines 6.0), ECDHE AEAD only: internet.nl rates non-RFC 7919 DHE groups insufficient. */
export const tls12CipherSuites: readonly string[] = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
];

/** Cipher classes that must never be offered (OpenSSL names). */
export const forbiddenCipherClasses: readonly string[] = ["aNULL", "eNULL", "EXPORT", "DES", "3DES", "RC4", "MD5", "PSK", "SRP"];

export const certificateRenewBeforeDays = 30;

/** Expiry alert levels, from the product spec: 30 days warning, 7 alert, 1 critical. */
export const certificateExpiryLevels = [
  { level: "critical", withinDays: 1 },
  { level: "alert", withinDays: 7 },
  { level: "warning", withinDays: 30 },
] as const;

/** Cloudflare zone settings every tenant zone carries. */
export const cloudflareZoneSettings = {
  min_tls_version: "1.2",
  ssl: "strict",
  always_use_https: "on",
  tls_1_3: "on",
} as const;

/** The only CA that may issue for a tenant, and only through DNS-01 (CAA, RFC 8659 and RFC 8657). */
export const certificateAuthorityCaa = {
  issuerDomain: "letsencrypt.org",
  validationMethods: ["dns-01"],
} as const;
