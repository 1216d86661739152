/**
 * Reverse DNS for the lab's mail hosts. A droplet's PTR comes from its name, and a receiving MTA
 * may refuse a client without one (the tenant's Postfix does), so the lab host and the remote MTA
 * need theirs. The lab DNS serves no reverse zones of its own; the PTR records go into its signed
 * root zone, which answers authoritatively for every name it does not delegate, arpa included.
 */

import { ipv4ToBigInt, ipv6ToBigInt } from "../../../baseline/cidr";
import type { LabDns } from "../dns";

/** The PTR owner of an address: `d.c.b.a.in-addr.arpa.`, or the 32 nibbles under ip6.arpa. */
export function reverseName(address: string): string {
  if (address.includes(":")) {
    const nibbles = ipv6ToBigInt(address).toString(16).padStart(32, "0").split("").reverse();
    return `${nibbles.join(".")}.ip6.arpa.`;
  }
  const octets = ipv4ToBigInt(address).toString(16).padStart(8, "0").match(/../g)!.map((h) => parseInt(h, 16));
  return `${octets.reverse().join(".")}.in-addr.arpa.`;
}

export async function publishReverseDns(dns: LabDns, entries: readonly { readonly address: string; readonly name: string }[]): Promise<void> {
  for (const { address, name } of entries) await dns.setRecords(".", reverseName(address), "PTR", [`${name.replace(/\.$/, "")}.`]);
}
