/**
 * Publishes a tenant's SPF, DKIM and DMARC records, built by baseline/dns, into an in-memory
 * zone and runs mailauth's signer and verifier against it: what an independent receiver makes
 * of what we publish.
 */

import type { AuthenticateResult, DNSResolver } from "mailauth";
import { authenticate } from "mailauth";
import { dkimSign } from "mailauth/lib/dkim/sign";
import { dkimRecordName } from "../../../../baseline/dns/dkim";
import { dmarcRecordName } from "../../../../baseline/dns/dmarc";
import { createMemoryResolver, type MemoryResolver, type Zone } from "../../../support/baseline/dns/memoryResolver";

export const tenantDomain = "tenant-one.example";
export const mailHost = `mail.${tenantDomain}`;
export const vpsIp4 = "192.0.2.10";
export const vpsIp6 = "2001:db8::10";
export const foreignIp4 = "203.0.113.7";
export const selector = "s2025q1";
export const senderAddress = `alice@${tenantDomain}`;

export interface TenantRecords {
  readonly spf: string;
  readonly dkim: string;
  readonly dmarc: string;
}

export function tenantZone(records: TenantRecords): Zone {
  return {
    [tenantDomain]: { TXT: [records.spf], MX: [{ exchange: mailHost, priority: 10 }] },
    [mailHost]: { A: [vpsIp4], AAAA: [vpsIp6] },
    [dkimRecordName(selector, tenantDomain)]: { TXT: [records.dkim] },
    [dmarcRecordName(tenantDomain)]: { TXT: [records.dmarc] },
  };
}

export function message(body = "Hello from the baseline test.\r\n"): string {
  return [
    `From: Alice <${senderAddress}>`,
    "To: Bob <bob@receiver.example>",
    "Subject: Email authentication check",
    "Date: Mon, 06 Jan 2025 10:00:00 +0000",
    `Message-ID: <baseline-check@${tenantDomain}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    body,
  ].join("\r\n");
}

export async function signMessage(
  text: string,
  privateKeyPem: string,
  algorithm: "rsa-sha256" | "ed25519-sha256" = "rsa-sha256",
): Promise<string> {
  const signature = { signingDomain: tenantDomain, selector, privateKey: privateKeyPem, algorithm };
  // mailauth's types want one signature at the top level; its signer reads signatureData.
  const result = await dkimSign(text, { ...signature, canonicalization: "relaxed/relaxed", signatureData: [signature] });
  if (result.errors.length > 0) throw new Error(`DKIM signing failed: ${result.errors.map(String).join("; ")}`);
  return result.signatures + text;
}

/** mailauth's resolver type leaves out MX answers; the memory resolver returns them as node does. */
export function asMailauthResolver(resolver: MemoryResolver): DNSResolver {
  return resolver as DNSResolver;
}

export interface Delivery {
  readonly signedMessage: string;
  readonly ip: string;
  readonly resolver: MemoryResolver;
  readonly minBitLength?: number;
}

export function receive(delivery: Delivery): Promise<AuthenticateResult> {
  return authenticate(delivery.signedMessage, {
    ip: delivery.ip,
    helo: mailHost,
    sender: senderAddress,
    mta: "mx.receiver.example",
    resolver: asMailauthResolver(delivery.resolver),
    minBitLength: delivery.minBitLength,
    disableBimi: true,
  });
}

export function resolverFor(records: TenantRecords): MemoryResolver {
  return createMemoryResolver(tenantZone(records));
}
