import { renderFileHeader, type HostRenderContext } from "../../renderContext";

export const unboundConfPath = "/etc/unbound/unbound.conf";

/** Where unbound answers, and the only resolver the host's resolv.conf names. */
export const unboundListenAddress = "127.0.0.1";

/**
 * RFC 5011 trust anchor file: Debian's unbound.service seeds it from dns-root-data's root.key before
 * every start (unbound-helper), and unbound keeps it current itself.
 */
export const unboundRootTrustAnchorFile = "/var/lib/unbound/root.key";

/** dns-root-data's copy of the root trust anchor: what unbound-helper seeds unboundRootTrustAnchorFile from. */
export const dnsRootDataTrustAnchorFile = "/usr/share/dns/root.key";

/** The root servers, from dns-root-data (updated with the package) instead of unbound's compiled-in list. */
export const unboundRootHintsFile = "/usr/share/dns/root.hints";

/**
 * /etc/unbound/unbound.conf, complete: a DNSSEC-validating recursive resolver for this host only.
 * Postfix's DANE (smtp_dns_support_level = dnssec) trusts the AD bit only from a resolver it can
 * trust, which means one on loopback. Debian's conf.d snippets are not included: this file is all.
 */
export function renderUnboundConf(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, unboundConfPath),
    "server:",
    "    # This host only: never an open resolver.",
    `    interface: ${unboundListenAddress}`,
    "    access-control: 0.0.0.0/0 refuse",
    "    access-control: ::0/0 refuse",
    "    access-control: 127.0.0.0/8 allow",
    "    # Validate every answer against the root trust anchor; a failed validation is SERVFAIL.",
    `    auto-trust-anchor-file: "${unboundRootTrustAnchorFile}"`,
    "    # The root servers from dns-root-data, the package that also brings the trust anchor: apt keeps",
    "    # both current, where the compiled-in list changes only with unbound itself.",
    `    root-hints: "${unboundRootHintsFile}"`,
    "    # Answers that arrive without signatures from a signed zone are a downgrade, not data.",
    "    harden-dnssec-stripped: yes",
    "    harden-glue: yes",
    "    harden-below-nxdomain: yes",
    "    # Send each server only the labels it needs (RFC 9156).",
    "    qname-minimisation: yes",
    "    # Answer from validated NSEC records without asking again (RFC 8198).",
    "    aggressive-nsec: yes",
    "    use-caps-for-id: no",
    "    # Log each validation failure once: a DANE delivery that defers says why in the journal.",
    "    val-log-level: 1",
    "    hide-identity: yes",
    "    hide-version: yes",
    "    prefetch: yes",
    "",
    "remote-control:",
    "    # unbound-control for root on this host only (cache flushes while debugging DANE).",
    "    control-enable: yes",
    "    control-interface: /run/unbound.ctl",
    "",
  ].join("\n");
}
