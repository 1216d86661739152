/**
 * Who sits where on the lab's "internet" (the lab host's client namespace): each role has its own
 * address, so a ban, an anvil limit or a relay attempt against one never spills over to another.
 */

import type { AddressPair, LabSubnet } from "../../net/addressPlan";

export interface InternetAddresses {
  /** nmap and the TLS probes: the one the fail2ban check proves is not banned for scanning. */
  readonly scanner: AddressPair;
  /** Knot with the signed root, the TLD and the zones (tools/lab/dns takes the first spare). */
  readonly authoritativeDns: AddressPair;
  /** The validating resolver every internet client asks. */
  readonly resolver: AddressPair;
  /** The remote MTA with its mailboxes: the tenant's mail goes there, the "mail in" comes from there. */
  readonly remoteMta: AddressPair;
  /** A person's mail client: submits as the tenant's mailbox, reads over IMAPS, hands mail to the remote MTA. */
  readonly sender: AddressPair;
  /** Guesses mailbox passwords until fail2ban bans it. */
  readonly attacker: AddressPair;
  /** Tries to relay through port 25. */
  readonly relayProber: AddressPair;
  /** Opens connections to port 25 until anvil refuses them. */
  readonly connectionProber: AddressPair;
  /**
   * One handshake per TLS version on every port. Not the scanner: nmap's cipher enumeration opens
   * about 90 connections per SMTP port, past anvil's per-client limit for the rest of the minute.
   */
  readonly tlsProber: AddressPair;
}

/** The roles on the subnet's client address and its spares, in a fixed order. */
export function internetAddresses(subnet: LabSubnet): InternetAddresses {
  const spare = (index: number): AddressPair => {
    const address = subnet.spare[index];
    if (!address) throw new Error(`the lab subnet has ${subnet.spare.length} spare addresses; the mail lab needs 8`);
    return address;
  };
  return {
    scanner: subnet.client,
    authoritativeDns: spare(0),
    resolver: spare(1),
    remoteMta: spare(2),
    sender: spare(3),
    attacker: spare(4),
    relayProber: spare(5),
    connectionProber: spare(6),
    tlsProber: spare(7),
  };
}

/** The addresses a role adds to the namespace's interface (the scanner's and the DNS server's are added elsewhere). */
export function addedRoles(addresses: InternetAddresses): AddressPair[] {
  return [addresses.resolver, addresses.remoteMta, addresses.sender, addresses.attacker, addresses.relayProber, addresses.connectionProber, addresses.tlsProber];
}
