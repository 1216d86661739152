import { renderFileHeader, type HostRenderContext } from "../../renderContext";

export const mtaStsResolverConfPath = "/etc/mta-sts-daemon.yml";

/**
 * Where Postfix asks for a destination's MTA-STS policy (postfix-mta-sts-resolver's socketmap).
 * Loopback only: the answers decide how strictly mail to a domain is protected, so no other
 * host may query or poison them.
 */
export const mtaStsResolverListener = { host: "127.0.0.1", port: 8461 } as const;

/** The Postfix lookup table that asks the resolver: `smtp_tls_policy_maps` names it. */
export const postfixMtaStsPolicyMap = `socketmap:inet:${mtaStsResolverListener.host}:${mtaStsResolverListener.port}:postfix`;

/**
 * postfix-mta-sts-resolver's daemon settings (YAML): it fetches each destination's MTA-STS policy
 * (RFC 8461) over DNS and HTTPS and answers Postfix with `secure match=<mx patterns>` for
 * domains in enforce mode, so a network attacker cannot strip STARTTLS or redirect their MX. A
 * domain with no policy gets no answer, and smtp_tls_security_level (DANE, else opportunistic
 * TLS) applies as before.
 */
export function renderMtaStsResolverConf(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, mtaStsResolverConfPath),
    `host: ${mtaStsResolverListener.host}`,
    `port: ${mtaStsResolverListener.port}`,
    "shutdown_timeout: 20",
    "# Policies survive a restart of the daemon (RFC 8461 5.1: a cached policy is used until its",
    "# max_age), so a restart during an attack on DNS or HTTPS does not forget them.",
    "cache:",
    "  type: sqlite",
    "  options:",
    '    filename: "/var/lib/mta-sts/cache.db"',
    "# Refresh cached policies in the background, so an expiring policy is renewed before an",
    "# attacker can make its refresh fail at delivery time.",
    "proactive_policy_fetching:",
    "  enabled: true",
    "  interval: 86400",
    "  concurrency_limit: 10",
    "  grace_ratio: 2",
    "default_zone:",
    "  # testing mode is reported, not enforced (RFC 8461 5): treating it as enforce would defer",
    "  # mail to every domain still trying MTA-STS out.",
    "  strict_testing: false",
    "  timeout: 4",
    "  # Postfix sends SNI with the MX name, as RFC 8461 4.1 requires of MTA-STS senders.",
    "  require_sni: true",
    "",
  ].join("\n");
}
