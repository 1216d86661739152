import {
  allowedOutboundPorts,
  icmpEchoRequestsPerSecond,
  publicInboundPorts,
  sshPort,
  type PortRule,
  type TransportProtocol,
} from "../../../baseline/network";
import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";
import { sshSourceCidrs } from "./sshSourceCidrs";

/** Our only nftables table; fail2ban keeps its bans in its own table (inet f2b-table). */
export const nftablesTableName = "penguinmails";
export const sshSourceSetNames = { ipv4: "ssh_sources_v4", ipv6: "ssh_sources_v6" } as const;

/**
 * One `tcp dport { ... } accept` line per protocol, ports in baseline order; a port only one
 * account may open gets its own line with `meta skuid`.
 */
function portAcceptRules(rules: readonly PortRule[], indent: string): string[] {
  const byProtocol = new Map<TransportProtocol, PortRule[]>();
  for (const rule of rules.filter((r) => !r.onlyAccount)) byProtocol.set(rule.protocol, [...(byProtocol.get(rule.protocol) ?? []), rule]);
  const restricted = rules
    .filter((r) => r.onlyAccount)
    .map((r) => `${indent}${r.protocol} dport ${r.port} meta skuid "${r.onlyAccount}" accept comment "${r.service} from ${r.onlyAccount} only"`);
  return [
    ...restricted,
    ...[...byProtocol].map(([protocol, list]) => {
      const ports = list.map((r) => String(r.port)).join(", ");
      const services = list.map((r) => r.service).join(" ");
      return `${indent}${protocol} dport { ${ports} } accept comment "${services}"`;
    }),
  ];
}

function renderSet(name: string, type: "ipv4_addr" | "ipv6_addr", elements: readonly string[]): string[] {
  return [
    `\tset ${name} {`,
    `\t\ttype ${type}`,
    "\t\tflags interval",
    "\t\t# An admin block may contain a deploy block: merge them instead of refusing the load.",
    "\t\tauto-merge",
    // An empty `elements = { }` is a syntax error: a family without sources gets an empty set.
    ...(elements.length > 0 ? [`\t\telements = { ${elements.join(", ")} }`] : []),
    "\t}",
  ];
}

/**
 * The host firewall (/etc/nftables.conf): input and output default to drop; the public mail
 * ports are open to everyone, SSH only to the tenant's admin and deploy CIDRs; outbound only
 * what the host needs. Only our table is replaced, never the whole ruleset, so fail2ban's bans
 * survive a reload.
 */
export function renderNftablesRuleset(ctx: HostRenderContext): string {
  const sources = sshSourceCidrs(ctx.config);
  const ssh = sshPort.port;
  const lines = [
    "#!/usr/sbin/nft -f",
    renderFileHeader(ctx, hostLayout.nftablesRuleset),
    "# No `flush ruleset`: that would also drop fail2ban's table and every active ban.",
    "# Declaring the table first lets the delete succeed on a fresh host; nft applies the",
    "# whole file as one transaction, so the host is never without rules during a reload.",
    `table inet ${nftablesTableName}`,
    `delete table inet ${nftablesTableName}`,
    "",
    `table inet ${nftablesTableName} {`,
    "\t# SSH sources: the tenant's adminCidrs and deployCidrs, one set per address family.",
    ...renderSet(sshSourceSetNames.ipv4, "ipv4_addr", sources.ipv4),
    "",
    ...renderSet(sshSourceSetNames.ipv6, "ipv6_addr", sources.ipv6),
    "",
    "\tchain input {",
    "\t\ttype filter hook input priority filter; policy drop;",
    '\t\tiif "lo" accept',
    "\t\t# Echo requests are limited before the established rule, which would let a flood of one",
    "\t\t# ping flow through; only the excess is dropped here, the rest is accepted below.",
    `\t\ticmp type echo-request limit rate over ${icmpEchoRequestsPerSecond}/second drop`,
    `\t\ticmpv6 type echo-request limit rate over ${icmpEchoRequestsPerSecond}/second drop`,
    "\t\tct state invalid drop",
    "\t\tct state established,related accept",
    "\t\t# ICMP errors carry path MTU discovery (destination-unreachable/frag-needed) and traceroute.",
    "\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } accept",
    "\t\ticmp type echo-request accept",
    "\t\t# IPv6 breaks without packet-too-big (no fragmentation by routers) and neighbour discovery.",
    "\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept",
    "\t\t# Hop limit 255 proves the ND packet was not routed, i.e. came from the local link (RFC 4861).",
    "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } ip6 hoplimit 255 accept",
    "\t\t# Multicast listener queries keep switches with MLD snooping delivering our ND multicast.",
    "\t\ticmpv6 type mld-listener-query ip6 saddr fe80::/10 accept",
    "\t\ticmpv6 type echo-request accept",
    "\t\t# Mail, submission, IMAPS and the MTA-STS policy: open to the whole internet.",
    ...portAcceptRules(publicInboundPorts, "\t\t"),
    "\t\t# SSH only from the tenant's admin and deploy addresses.",
    `\t\tip saddr @${sshSourceSetNames.ipv4} ${sshPort.protocol} dport ${ssh} accept comment "${sshPort.service}"`,
    `\t\tip6 saddr @${sshSourceSetNames.ipv6} ${sshPort.protocol} dport ${ssh} accept comment "${sshPort.service}"`,
    "\t}",
    "",
    "\t# The host routes nothing.",
    "\tchain forward {",
    "\t\ttype filter hook forward priority filter; policy drop;",
    "\t}",
    "",
    "\t# Outbound only what the host needs: a compromised daemon cannot reach arbitrary services.",
    "\tchain output {",
    "\t\ttype filter hook output priority filter; policy drop;",
    '\t\toif "lo" accept',
    "\t\tct state established,related accept",
    "\t\t# sshd's replies to the SSH sources, tracked or not: on a fresh host the deploying session",
    "\t\t# began before any rule loaded conntrack, and its next reply would otherwise be new here.",
    `\t\tip daddr @${sshSourceSetNames.ipv4} ${sshPort.protocol} sport ${ssh} accept comment "${sshPort.service} replies"`,
    `\t\tip6 daddr @${sshSourceSetNames.ipv6} ${sshPort.protocol} sport ${ssh} accept comment "${sshPort.service} replies"`,
    "\t\t# Delivery (Postfix's own account only), DNS, packages and ACME, time.",
    ...portAcceptRules(allowedOutboundPorts, "\t\t"),
    "\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } accept",
    "\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept",
    "\t\t# Neighbour discovery and multicast listener reports: without them IPv6 has no next hop.",
    "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } accept",
    "\t}",
    "}",
    "",
  ];
  return lines.join("\n");
}
