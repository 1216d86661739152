/**
 * TLSA records for DANE on the tenant's inbound SMTP (RFC 6698, RFC 7671, RFC 7672): `3 1 1`,
 * DANE-EE with the SHA-256 of the server key's SubjectPublicKeyInfo. The record names the key, not
 * the certificate, so a renewal for the same key leaves it valid.
 */

import { createHash, createPublicKey, type KeyObject } from "node:crypto";

/**
 * DANE-EE (3): the record matches the server's own key; no CA chain is involved.
 * SPKI (1): the SubjectPublicKeyInfo, which survives re-issuance for the same key.
 * SHA-256 (1): the digest every DANE client must support.
 * @source RFC 7672 section 3.1.1 (DANE-EE for SMTP); RFC 7671 section 5.1 (3 1 1 recommended); RFC 6698 section 7.2
 */
export const tlsaDaneEeSpkiSha256 = { usage: 3, selector: 1, matchingType: 1 } as const;

/**
 * The SMTP port whose TLSA records sending MTAs look up: `_25._tcp.<MX host>`.
 * @source RFC 7672 section 2.2.3
 */
export const smtpTlsaPort = 25;

export interface TlsaRecord {
  readonly usage: number;
  readonly selector: number;
  readonly matchingType: number;
  /** The association data in lower-case hex. */
  readonly certificate: string;
}

/** `_25._tcp.mail.<domain>`. */
export function smtpTlsaRecordName(mxHost: string): string {
  return `_${smtpTlsaPort}._tcp.${mxHost}`;
}

/** SHA-256 of a public (or private) key's DER SubjectPublicKeyInfo, lower-case hex: a `3 1 1` record's data. */
export function spkiSha256(key: string | KeyObject): string {
  const publicKey = typeof key === "string" ? createPublicKey(key) : key.type === "private" ? createPublicKey(key) : key;
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex");
}

export function buildTlsaRecord(spkiSha256Hex: string): TlsaRecord {
  const record = { ...tlsaDaneEeSpkiSha256, certificate: spkiSha256Hex.toLowerCase() };
  const problems = validateTlsaRecord(record);
  if (problems.length > 0) throw new Error(`cannot build a TLSA record: ${problems.join("; ")}`);
  return record;
}

/** Presentation form: `3 1 1 <hex>`. */
export function formatTlsaRecord(record: TlsaRecord): string {
  return `${record.usage} ${record.selector} ${record.matchingType} ${record.certificate}`;
}

/** Reads `usage selector matchingType hex` (hex may be split by spaces, as zone files allow). */
export function parseTlsaRecord(text: string): TlsaRecord {
  const match = /^\s*(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})\s+([0-9A-Fa-f\s]+?)\s*$/.exec(text);
  if (!match) throw new Error(`TLSA record "${text.slice(0, 80)}" is not "<usage> <selector> <matching type> <hex>"`);
  return { usage: Number(match[1]), selector: Number(match[2]), matchingType: Number(match[3]), certificate: match[4]!.replace(/\s+/g, "").toLowerCase() };
}

/** What makes a record not a `3 1 1` record of the right length. */
export function validateTlsaRecord(record: TlsaRecord): string[] {
  const problems: string[] = [];
  const label = `TLSA ${record.usage} ${record.selector} ${record.matchingType}`;
  if (record.usage !== tlsaDaneEeSpkiSha256.usage) problems.push(`${label}: usage must be 3 (DANE-EE): SMTP clients ignore PKIX usages (RFC 7672 3.1.3)`);
  if (record.selector !== tlsaDaneEeSpkiSha256.selector) problems.push(`${label}: selector must be 1 (SubjectPublicKeyInfo), so a renewal for the same key keeps the record valid`);
  if (record.matchingType !== tlsaDaneEeSpkiSha256.matchingType) problems.push(`${label}: matching type must be 1 (SHA-256)`);
  if (!/^[0-9a-f]{64}$/.test(record.certificate)) problems.push(`${label}: the data must be a SHA-256 digest: 64 hex digits`);
  return problems;
}
