/**
 * The apply's commands for the host's resolver, the files serviceTable.ts's unbound entry owns
 * besides unbound.conf: /etc/resolv.conf, the cloud-init drop-in and the dhclient hook
 * (hostBundle/render/system/hostResolver.ts). Each command is one line of bash: apply-settings.sh
 * carries it as a single word and apply.sh runs it with `bash -c`.
 */
import { hostLayout } from "../hostLayout";
import { unboundListenAddress } from "../render/mail/unboundConf";
import { cloudInitResolverDropInPath, dhclientResolverHookPath, resolvConfPath } from "../render/system/hostResolver";

/** The copy of resolv.conf that Postfix's chrooted daemons (smtp among them) actually read. */
export const postfixChrootResolvConfPath = `${hostLayout.postfixSpoolDir}${resolvConfPath}`;

/**
 * A bash function: prints one line per problem of the resolv.conf given as $1 (a nameserver other
 * than the local unbound, none at all, no `options trust-ad`, no file) and fails if there is any.
 */
function resolvConfProblemsFunction(): string {
  const awk = [
    `$1 == "nameserver" { n++; if ($2 != want) { print FILENAME ": names nameserver " $2 ", not the local validating unbound (" want ")"; bad = 1 } }`,
    `$1 == "options" { for (i = 2; i <= NF; i++) if ($i == "trust-ad") ta = 1 }`,
    `END { if (n == 0) { print FILENAME ": names no nameserver"; bad = 1 } if (!ta) { print FILENAME ": has no \\"options trust-ad\\" (glibc would clear the AD bit)"; bad = 1 } exit bad }`,
  ].join(" ");
  return `resolv_conf_problems() { [ -f "$1" ] || { echo "$1: missing"; return 1; }; awk -v want=${unboundListenAddress} '${awk}' "$1"; }`;
}

/** Validation, in the staged view: the staged resolv.conf names only the local unbound, with trust-ad. */
export function resolvConfCheckCommand(path: string = resolvConfPath): string {
  return `${resolvConfProblemsFunction()}; resolv_conf_problems ${path}`;
}

/** Validation: cloud-init's own schema check, where cloud-init is installed (every droplet; not the lab). */
export function cloudInitDropInCheckCommand(path: string = cloudInitResolverDropInPath): string {
  return `if command -v cloud-init >/dev/null; then cloud-init schema --config-file ${path}; fi`;
}

/** Validation: dhclient-script sources the hook with /bin/sh, so /bin/sh must parse it. */
export function dhclientHookCheckCommand(path: string = dhclientResolverHookPath): string {
  return `sh -n ${path}`;
}

/**
 * After unbound's activation: Debian's postfix copies /etc/resolv.conf into its chroot only when
 * it starts (configure-instance.sh), not on reload. Copy it (atomically) and reload a running
 * Postfix, whose new processes read the new copy; a Postfix that is not running copies it itself
 * when it starts.
 */
export function postfixChrootResolvConfSyncCommand(source: string = resolvConfPath, target: string = postfixChrootResolvConfPath): string {
  const spool = hostLayout.postfixSpoolDir;
  const dir = target.slice(0, target.lastIndexOf("/"));
  const temp = `${dir}/.resolv.conf.penguinmails-new`;
  return [
    `if [ -d ${spool} ]; then install -d -m 0755 ${dir} && cp -fL ${source} ${temp} && chmod 0644 ${temp} && mv -fT ${temp} ${target}; fi`,
    "if systemctl is-active --quiet postfix@-.service; then systemctl reload postfix@-.service; fi",
  ].join(" && ");
}

export interface ResolverHealthPaths {
  readonly resolvConf: string;
  readonly chrootResolvConf: string;
}

/**
 * After activation: the resolver Postfix's chroot uses is the local unbound, and it validates.
 * Both resolv.conf files name only 127.0.0.1 with trust-ad, and a DNSSEC query through it for the
 * root zone's SOA (signed under whatever trust anchor is installed) comes back NOERROR with the AD
 * bit. Prints one line per problem.
 */
export function resolverHealthCommand(paths: ResolverHealthPaths = { resolvConf: resolvConfPath, chrootResolvConf: postfixChrootResolvConfPath }): string {
  const want = unboundListenAddress;
  return [
    resolvConfProblemsFunction(),
    "rc=0",
    `for f in ${paths.resolvConf} ${paths.chrootResolvConf}; do resolv_conf_problems "$f" || rc=1; done`,
    `out=$(dig @${want} +dnssec +time=2 +tries=1 . SOA 2>&1) || true`,
    `status=$(sed -n 's/.*status: \\([A-Z]*\\).*/\\1/p' <<<"$out" | head -1)`,
    `flags=$(sed -n 's/^;; flags: \\([^;]*\\);.*/\\1/p' <<<"$out" | head -1)`,
    `if [ "$status" != NOERROR ] || [[ " $flags " != *" ad "* ]]; then echo "a DNSSEC query for the root zone's SOA through ${want} got status \${status:-none}, flags \${flags:-none}: no validated answer (AD bit)$(grep -m1 '^;;.*timed out' <<<"$out" | sed 's/^;;/;/')"; rc=1; fi`,
    "exit $rc",
  ].join("; ");
}
