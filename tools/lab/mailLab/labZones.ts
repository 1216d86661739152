/**
 * The lab's DNS: the tenant zone exactly as planned (every Cloudflare record), with the lab host's
 * addresses where the plan has the droplet's stand-ins, and the remote domain whose MX is the
 * lab's remote MTA. Both sit under the tenant domain's own top-level domain, which the lab root
 * delegates: the tenant's zone has a real parent, as it has at its registry.
 */

import type { AddressPair } from "../net/addressPlan";
import type { LabZone } from "../dns";
import type { PlannedDnsRecord } from "./labPlan";

/** The zone lines of the planned records, owners relative to the zone; planned addresses replaced. */
export function tenantZoneRecords(domain: string, records: readonly PlannedDnsRecord[], planned: AddressPair, lab: AddressPair): string[] {
  return records.map((record) => {
    const owner = relativeOwner(record.name, domain);
    const rdata = substitute(recordData(record), planned, lab);
    return `${owner} ${record.ttl ?? 300} ${record.type} ${rdata}`;
  });
}

function relativeOwner(name: string, domain: string): string {
  const absolute = name.replace(/\.$/, "").toLowerCase();
  if (absolute === domain) return "@";
  if (absolute.endsWith(`.${domain}`)) return absolute.slice(0, -domain.length - 1);
  throw new Error(`the planned record ${name} is not in the tenant zone ${domain}`);
}

function recordData(record: PlannedDnsRecord): string {
  const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`);
  const field = (key: string): string => {
    const value = record.data?.[key];
    if (value === undefined || value === null) throw new Error(`the planned ${record.type} record ${record.name} has no data.${key}`);
    return String(value);
  };
  switch (record.type) {
    case "MX":
      return `${record.priority ?? 10} ${fqdn(required(record))}`;
    case "CNAME":
    case "NS":
      return fqdn(required(record));
    case "CAA":
      return `${field("flags")} ${field("tag")} ${JSON.stringify(field("value"))}`;
    case "TLSA":
      return `${field("usage")} ${field("selector")} ${record.data?.matchingType !== undefined ? field("matchingType") : field("matching_type")} ${field("certificate")}`;
    default:
      // A, AAAA and TXT: Cloudflare's content is zone-file text already (TXT as quoted strings).
      return required(record);
  }
}

function required(record: PlannedDnsRecord): string {
  if (record.content === undefined) throw new Error(`the planned ${record.type} record ${record.name} has no content`);
  return record.content;
}

/** Every planned address (bare, in SPF terms, anywhere) becomes the lab host's. */
function substitute(text: string, planned: AddressPair, lab: AddressPair): string {
  return text.replace(addressPattern(planned.v4), lab.v4).replace(addressPattern(planned.v6), lab.v6);
}

/** The address alone (an SPF term's ip6: prefix allowed), never inside a longer address. */
function addressPattern(address: string): RegExp {
  const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return address.includes(":") ? new RegExp(`(?:(?<=ip6:)|(?<![0-9A-Fa-f.:]))${escaped}(?![0-9A-Fa-f:])`, "g") : new RegExp(`(?<![0-9.])${escaped}(?![0-9]|\\.[0-9])`, "g");
}

/** The TLD the lab root delegates: the tenant domain's last label. */
export function labTld(domain: string): string {
  return domain.slice(domain.lastIndexOf(".") + 1);
}

/** A domain under the same TLD that is not the tenant's: the remote MTA's. */
export function remoteDomainFor(domain: string): string {
  const tld = labTld(domain);
  return [`remote.${tld}`, `remote-mail.${tld}`].find((d) => d !== domain && !domain.endsWith(`.${d}`) && !d.endsWith(`.${domain}`))!;
}

/** The remote domain's host names: its MX, and the relay prober, a host with proper DNS (so only relay rules can refuse it). */
export const remoteHosts = { mta: "mx", relayProber: "relay-prober" } as const;

/** The remote domain's zone: its MX is the remote MTA, which may send for it (SPF). */
export function remoteZone(domain: string, mta: AddressPair, relayProber: AddressPair): LabZone {
  return {
    name: domain,
    records: [
      `@ MX 10 ${remoteHosts.mta}`,
      `${remoteHosts.mta} A ${mta.v4}`,
      `${remoteHosts.mta} AAAA ${mta.v6}`,
      `${remoteHosts.relayProber} A ${relayProber.v4}`,
      `${remoteHosts.relayProber} AAAA ${relayProber.v6}`,
      `@ TXT "v=spf1 ip4:${mta.v4} ip6:${mta.v6} -all"`,
      `mx TXT "v=spf1 ip4:${mta.v4} ip6:${mta.v6} -all"`,
      `_dmarc TXT "v=DMARC1; p=none"`,
    ],
  };
}
