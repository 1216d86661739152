/** Which ports a tenant's mail host opens and reaches, in both the cloud firewall and nftables. */

export type TransportProtocol = "tcp" | "udp";

export interface PortRule {
  readonly protocol: TransportProtocol;
  readonly port: number;
  readonly service: string;
  /** Outbound only: the one local account allowed to open it (nftables `meta skuid`). */
  readonly onlyAccount?: string;
}

/**
 * Open to the whole internet: a mail server must accept mail and clients from anywhere.
 * @source RFC 5321 (25), RFC 8314 (465, 993), RFC 6409 (587), RFC 8461 (443 for the MTA-STS policy)
 */
export const publicInboundPorts: readonly PortRule[] = [
  { protocol: "tcp", port: 25, service: "smtp" },
  { protocol: "tcp", port: 465, service: "submissions" },
  { protocol: "tcp", port: 587, service: "submission" },
  { protocol: "tcp", port: 993, service: "imaps" },
  { protocol: "tcp", port: 443, service: "https" },
];

/**
 * SSH is open only to the tenant's admin and deploy CIDRs.
 * @source the product spec (network access control); CIS Debian Linux 12 Benchmark 5.2
 */
export const sshPort: PortRule = { protocol: "tcp", port: 22, service: "ssh" };

/**
 * Every inbound port any source may ever reach; anything else is closed.
 * @source publicInboundPorts and sshPort above
 */
export const allowedInboundPorts: readonly PortRule[] = [...publicInboundPorts, sshPort];

/** The port numbers of one protocol among some rules, e.g. every allowed inbound TCP port. */
export function portNumbers(rules: readonly PortRule[], protocol: TransportProtocol): number[] {
  return rules.filter((rule) => rule.protocol === protocol).map((rule) => rule.port);
}

/**
 * What the host itself needs to reach: delivery, DNS, packages and ACME, time. Delivery is Postfix's
 * alone: no other local account may speak SMTP to the internet, so a compromised daemon cannot
 * send spam past the rate limits and the signer.
 * @source the product spec (egress filtering); what Postfix, unbound, apt, acme-client and NTP use
 */
export const allowedOutboundPorts: readonly PortRule[] = [
  { protocol: "tcp", port: 25, service: "smtp", onlyAccount: "postfix" },
  { protocol: "tcp", port: 53, service: "domain" },
  { protocol: "udp", port: 53, service: "domain" },
  { protocol: "tcp", port: 80, service: "http" },
  { protocol: "tcp", port: 443, service: "https" },
  { protocol: "udp", port: 123, service: "ntp" },
];

/**
 * Sources that mean "anyone": never acceptable for SSH.
 * @source CIS Debian Linux 12 Benchmark 5.2; the product spec
 */
export const anySourceCidrs: readonly string[] = ["0.0.0.0/0", "::/0"];

/**
 * Destinations for outbound rules: the whole internet, both families.
 * @source a mail server delivers to any domain's MX
 */
export const anyDestinationCidrs: readonly string[] = ["0.0.0.0/0", "::/0"];

/**
 * How many addresses the admin and deploy lists may open to SSH together, per family, counted
 * over the whole list with overlaps once: a /16 of IPv4 or a /32 of IPv6 (a provider's
 * allocation), so no list of blocks adds up to a large part of the internet.
 * @source the product spec (SSH from known addresses only); CIS Debian Linux 12 Benchmark 5.2
 */
export const sshSourceAddressLimit = { ipv4: 2n ** 16n, ipv6: 2n ** 96n } as const;

/**
 * The larger bound an operator may accept explicitly (acknowledgeWideSshSources): a /8 of IPv4
 * or a /16 of IPv6, for a corporate network or a CI provider's published ranges.
 * @source our rollout: wider than a provider allocation only by an explicit, reviewed acknowledgement
 */
export const sshSourceAcknowledgedAddressLimit = { ipv4: 2n ** 24n, ipv6: 2n ** 112n } as const;

/**
 * Inbound ICMP/ICMPv6 echo requests answered per second: enough for an operator's ping and
 * monitoring, too few for the host to be used as a flood reflector.
 * @source RFC 4890 section 4.3 (echo may be rate-limited, never blocked for IPv6 diagnostics)
 */
export const icmpEchoRequestsPerSecond = 5;
