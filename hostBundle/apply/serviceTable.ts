import { posix } from "node:path";
import { publicInboundPorts, sshPort } from "../../baseline/network";
import type { HostService } from "../bundleFile";
import { hostLayout } from "../hostLayout";
import { postfixSpoolSockets, rateLimitPolicyService, virtualMailUser } from "../render/mail";
import { postfixSpoolPath } from "../render/mail/mailDaemonWiring";

/**
 * How a changed service goes live:
 * - reload: `systemctl reload-or-restart` (starts it when it is not running);
 * - restart: the daemon cannot pick up every change on reload;
 * - firewall: nftables; the staged ruleset must first let SSH in from every admin and deploy source;
 * - none: the files are read when used (apt's periodic runs), nothing to signal.
 */
export type Activation = "reload" | "restart" | "firewall" | "none";

export interface ServiceCheck {
  /**
   * Run as root in the staged view: a private mount namespace where every bundle file sits at its
   * real path over the live tree, so includes and key paths resolve to the new files.
   */
  readonly command: string;
  /** Case-insensitive ERE: an output line matching it fails the check even when the command exits 0. */
  readonly failOutput?: string;
}

/** A TLS handshake on a local listener after a reload: proves the runtime config, which no checker reads fully. */
export interface TlsProbe {
  readonly port: number;
  readonly starttls?: "smtp";
  /** The SNI name: nginx refuses a handshake for any name but the MTA-STS host. */
  readonly serverName: "mail" | "mtaSts";
}

/** A system account the daemon's config names by number; created when missing. */
export interface ServiceAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** A directory the daemon's config points at but no package creates. */
export interface ServiceDirectory {
  readonly path: string;
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
}

export interface ServiceRuntime {
  /** Debian packages providing the daemon and its checker; installed when missing. */
  readonly packages: readonly string[];
  readonly accounts?: readonly ServiceAccount[];
  /** Created (never changed once there) before validation, after the accounts. */
  readonly directories?: readonly ServiceDirectory[];
  /** Units reloaded (or restarted) in this order when the service's files change. */
  readonly units: readonly string[];
  /** Units enabled so the service comes back after a reboot. */
  readonly enableUnits: readonly string[];
  readonly activation: Activation;
  readonly checks: readonly ServiceCheck[];
  /** TCP ports that must be listening once it is live. */
  readonly ports: readonly number[];
  readonly tlsProbes: readonly TlsProbe[];
  /** Where its runtime complaints appear: journal units and log files. */
  readonly logUnits: readonly string[];
  readonly logFiles: readonly string[];
  /** Case-insensitive ERE of log lines that fail an apply when they appear after the reload. */
  readonly badLogLines?: string;
  /** Case-insensitive ERE of lines matching badLogLines that a healthy host writes anyway. */
  readonly expectedLogLines?: string;
}

function portsOf(...services: string[]): number[] {
  return services.map((name) => {
    const rule = publicInboundPorts.find((r) => r.service === name);
    if (!rule) throw new Error(`baseline/network has no public port named ${name}`);
    return rule.port;
  });
}

const [smtp, submissions, submission] = portsOf("smtp", "submissions", "submission");
const [imaps, https] = portsOf("imaps", "https");

/**
 * The one map from a HostService to how the apply script installs, validates, activates and
 * checks it. It is rendered into the bundle's apply-settings.sh; the script has no other list.
 * The order is the order of validation and activation: the resolver, the signer and the policy
 * service before the daemons that use them.
 */
export const serviceRuntimes: Readonly<Record<HostService, ServiceRuntime>> = {
  unbound: {
    packages: ["unbound"],
    units: ["unbound.service"],
    enableUnits: ["unbound.service"],
    activation: "reload",
    checks: [{ command: "unbound-checkconf" }],
    ports: [],
    tlsProbes: [],
    logUnits: ["unbound.service"],
    logFiles: [],
    badLogLines: "(fatal error|error:)",
  },
  opendkim: {
    packages: ["opendkim", "opendkim-tools"],
    // The milter socket lives in Postfix's chroot; only opendkim writes there, only Postfix connects.
    directories: [{ path: posix.dirname(postfixSpoolPath(postfixSpoolSockets.opendkim)), mode: "0750", owner: "opendkim", group: "postfix" }],
    units: ["opendkim.service"],
    enableUnits: ["opendkim.service"],
    // USR1 re-reads the config but not a new socket or user: restart is what always works.
    activation: "restart",
    checks: [{ command: "opendkim -n -x /etc/opendkim.conf" }],
    ports: [],
    tlsProbes: [],
    logUnits: ["opendkim.service"],
    logFiles: [],
    badLogLines: "(error|fatal|failed|can't|cannot|unable|invalid)",
  },
  "rate-limit-policy": {
    packages: ["postfwd"],
    // --save_rates keeps the hourly counters here across restarts; Debian's package makes no such directory.
    directories: [{ path: hostLayout.postfwdStateDir, mode: "0750", owner: "postfw", group: "postfw" }],
    units: ["postfwd.service"],
    enableUnits: ["postfwd.service"],
    // postfwd reads its ruleset and command line at start; its counters survive in --save_rates.
    activation: "restart",
    // --showconfig prints the parsed rules and always exits 1; a bad line shows as a warning.
    checks: [{ command: "postfwd --file=/etc/postfix/postfwd.cf --showconfig || true", failOutput: "(warning|critical|error|redundant)" }],
    ports: [rateLimitPolicyService.port],
    tlsProbes: [],
    logUnits: ["postfwd.service"],
    logFiles: [],
    badLogLines: "(error|fatal|warning)",
  },
  dovecot: {
    // LMTP is how Postfix delivers into the mailboxes.
    packages: ["dovecot-imapd", "dovecot-lmtpd"],
    // Every mailbox belongs to one virtual user, which the config names by uid and gid only.
    accounts: [{ ...virtualMailUser, home: hostLayout.mailStorageDir }],
    directories: [{ path: hostLayout.mailStorageDir, mode: "0750", owner: virtualMailUser.name, group: virtualMailUser.name }],
    units: ["dovecot.service"],
    enableUnits: ["dovecot.service"],
    activation: "reload",
    checks: [{ command: "doveconf -n >/dev/null", failOutput: "(warning|error|fatal)" }],
    ports: [imaps],
    tlsProbes: [{ port: imaps, serverName: "mail" }],
    logUnits: ["dovecot.service"],
    logFiles: [hostLayout.dovecotLog],
    badLogLines: "(fatal|panic|error|warning):",
    // Dovecot announces every reload at warning level.
    expectedLogLines: "SIGHUP received - reloading configuration",
  },
  postfix: {
    packages: ["postfix"],
    // postfix.service is a oneshot wrapper; the daemons run in the instance postfix@-.
    units: ["postfix@-.service"],
    enableUnits: ["postfix.service"],
    activation: "reload",
    checks: [
      // Postfix prints to stderr only on a terminal: `script` gives it one.
      { command: "script -qec 'postfix check' /dev/null", failOutput: "(warning|fatal|error|panic)" },
      // Unknown or misspelled parameters are only warnings.
      { command: "postconf -n >/dev/null", failOutput: "warning" },
    ],
    ports: [smtp, submissions, submission],
    tlsProbes: [
      { port: smtp, starttls: "smtp", serverName: "mail" },
      { port: submissions, serverName: "mail" },
      { port: submission, starttls: "smtp", serverName: "mail" },
    ],
    logUnits: ["postfix@-.service"],
    logFiles: [hostLayout.postfixLog],
    badLogLines: "(fatal|panic|error|warning):",
  },
  nginx: {
    packages: ["nginx"],
    units: ["nginx.service"],
    enableUnits: ["nginx.service"],
    activation: "reload",
    checks: [{ command: "nginx -t -q", failOutput: "\\[(warn|error|crit|alert|emerg)\\]" }],
    ports: [https],
    tlsProbes: [{ port: https, serverName: "mtaSts" }],
    logUnits: ["nginx.service"],
    logFiles: ["/var/log/nginx/error.log"],
    badLogLines: "\\[(warn|error|crit|alert|emerg)\\]",
  },
  nftables: {
    // python3 serves the SSH probe's listener in a scratch namespace; iproute2 builds it.
    packages: ["nftables", "iproute2", "python3"],
    units: ["nftables.service"],
    enableUnits: ["nftables.service"],
    activation: "firewall",
    checks: [{ command: "nft -c -f /etc/nftables.conf" }],
    ports: [],
    tlsProbes: [],
    logUnits: ["nftables.service"],
    logFiles: [],
  },
  fail2ban: {
    packages: ["fail2ban", "python3-systemd"],
    units: ["fail2ban.service"],
    enableUnits: ["fail2ban.service"],
    // The ruleset replaces only its own table, so fail2ban's table and bans outlive a firewall change.
    activation: "reload",
    checks: [{ command: "fail2ban-client -t", failOutput: "(error|warning|critical)" }],
    ports: [],
    tlsProbes: [],
    logUnits: ["fail2ban.service"],
    logFiles: ["/var/log/fail2ban.log"],
    badLogLines: " (error|critical) ",
  },
  ssh: {
    packages: ["openssh-server"],
    units: ["ssh.service"],
    enableUnits: ["ssh.service"],
    activation: "reload",
    checks: [{ command: "sshd -t", failOutput: "(deprecated|unsupported|bad configuration)" }],
    ports: [sshPort.port],
    tlsProbes: [],
    logUnits: ["ssh.service"],
    logFiles: [],
    badLogLines: "(fatal|error: (bind|could not|unsupported))",
  },
  "unattended-upgrades": {
    packages: ["unattended-upgrades"],
    units: [],
    enableUnits: [],
    activation: "none",
    // apt.conf.d syntax errors surface as E: lines from any apt tool.
    checks: [{ command: "apt-config dump >/dev/null", failOutput: "^(e|w):" }],
    ports: [],
    tlsProbes: [],
    logUnits: [],
    logFiles: [],
  },
  needrestart: {
    packages: ["needrestart"],
    units: [],
    enableUnits: [],
    // Read by needrestart itself when apt or unattended-upgrades runs it.
    activation: "none",
    checks: [{ command: "perl -c /etc/needrestart/conf.d/penguinmails.conf" }],
    ports: [],
    tlsProbes: [],
    logUnits: [],
    logFiles: [],
  },
};

/** Validation and activation order; the keys of serviceRuntimes, in dependency order. */
export const serviceOrder = Object.keys(serviceRuntimes) as HostService[];

/** Tools the apply script itself runs: placeholder certificates and TLS probes, `ss`, `script`, `unshare`. */
export const applyToolPackages: readonly string[] = ["openssl", "iproute2", "bsdutils", "util-linux"];

/** Log files that exist before their daemon first writes them: fail2ban's checker refuses a jail whose log is missing. */
export const logFilesCreatedBeforeValidation: readonly string[] = [hostLayout.postfixLog, hostLayout.dovecotLog];

/** Every Debian package an applied bundle needs: what a lab host or an image should carry already. */
export function hostPackages(): string[] {
  return [...new Set([...applyToolPackages, ...serviceOrder.flatMap((s) => serviceRuntimes[s].packages)])].sort();
}
