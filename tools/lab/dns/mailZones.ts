/**
 * The lab zones a mail host's DANE is tried against: a signed domain whose MX is the lab host
 * itself (its TLSA record is published once the host has a certificate), a domain whose whole
 * zone is bogus, and a signed domain whose MX has a secure address but bogus TLSA records (the
 * case DANE exists for: Postfix must defer, never fall back to unauthenticated TLS or plaintext).
 * The two bogus domains' MX hosts are somewhere else on the lab link: Postfix bounces mail whose
 * MX is itself ("loops back to myself") before it looks for TLSA records.
 */

import type { AddressPair } from "../net/addressPlan";
import type { LabDns, LabZone } from "./labDns";

export const mailLabDomains = {
  /** Signed, delegated with the right DS: MX mx.secure.dnslab, the lab host. */
  secure: "secure.dnslab",
  /** Signed, but its parent's DS matches no key: every answer is bogus (SERVFAIL). */
  bogus: "bogus.dnslab",
  /** In the secure zone: MX mx.badtlsa.secure.dnslab, a secure address, bogus TLSA records. */
  bogusTlsa: "badtlsa.secure.dnslab",
} as const;

/** The MX host of a lab domain. */
export const mailLabMx = (domain: string): string => `mx.${domain}`;

/**
 * The zones for startLabDns / startLabDnsFor: the secure domain's MX is `mx` (the lab host), the
 * bogus ones' is `elsewhere` (an address on the lab link where nothing needs to listen).
 */
export function mailLabZones(mx: AddressPair, elsewhere: AddressPair): LabZone[] {
  const address = (name: string, at: AddressPair) => [`${name} A ${at.v4}`, `${name} AAAA ${at.v6}`];
  return [
    { name: mailLabDomains.secure, records: ["@ MX 10 mx", ...address("mx", mx), "badtlsa MX 10 mx.badtlsa", ...address("mx.badtlsa", elsewhere)] },
    { name: mailLabDomains.bogus, records: ["@ MX 10 mx", ...address("mx", elsewhere)], chain: "bogus-ds" },
    // The zone holding mx.badtlsa's TLSA records, delegated with a DS that matches no key of it.
    { name: `_tcp.${mailLabMx(mailLabDomains.bogusTlsa)}`, records: [`_25 TLSA 3 1 1 ${"00".repeat(32)}`], chain: "bogus-ds" },
  ];
}

/** Publishes `3 1 1 <spkiSha256>` (DANE-EE, the key's SHA-256) for port 25 of the secure domain's MX. */
export async function publishMailLabTlsa(dns: LabDns, spkiSha256Hex: string): Promise<void> {
  if (!/^[0-9a-f]{64}$/i.test(spkiSha256Hex)) throw new Error(`not a SHA-256 digest: ${spkiSha256Hex}`);
  await dns.setRecords(mailLabDomains.secure, "_25._tcp.mx", "TLSA", [`3 1 1 ${spkiSha256Hex.toLowerCase()}`]);
}
