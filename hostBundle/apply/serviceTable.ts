import { posix } from "node:path";
import { publicInboundPorts, sshPort } from "../../baseline/network";
import type { HostService } from "../bundleFile";
import { hostLayout } from "../hostLayout";
import { postfixSpoolSockets, rateLimitPolicyService, virtualMailUser } from "../render/mail";
import { postfixSpoolPath } from "../render/mail/mailDaemonWiring";
import { mtaStsResolverConfPath, mtaStsResolverListener } from "../render/mail/mtaStsResolverConf";
import { diskAlertScriptPath, diskAlertServicePath, diskAlertTimerPath, diskAlertTimerUnit } from "../render/system/diskAlert";
import { sshAuthorizedKeysDir } from "../render/system/sshAuthorizedKeys";
import {
  cloudInitDropInCheckCommand,
  dhclientHookCheckCommand,
  postfixChrootResolvConfSyncCommand,
  resolvConfCheckCommand,
  resolverHealthCommand,
} from "./resolverChecks";

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
  /** One line of bash run after the units reload or restart, also when a rollback re-activates the previous files. */
  readonly afterActivation?: string;
  /** Proofs run once everything is activated; a failure rolls the apply back like any other health failure. */
  readonly healthProbes?: readonly HealthProbe[];
}

/**
 * A health proof no port or log shows: retried until it passes or the health deadline. After a
 * rollback, only a probe that passed before the apply must pass again.
 */
export interface HealthProbe {
  /** What it proves; the apply names it when it fails. */
  readonly name: string;
  /** One line of bash; exits 0 when healthy, otherwise prints its problems. */
  readonly command: string;
}

/** How long rspamd may take to answer after a (cold) start: measured 11-36 s on a loaded 2-core machine. */
const rspamdStartSeconds = 120;

/** One line of bash: waits until a process accepts connections on the UNIX socket, or fails saying so. */
function unixSocketWaitCommand(path: string, seconds: number): string {
  const connect = `python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' ${path} 2>/dev/null`;
  return `for _ in $(seq ${seconds * 2}); do ${connect} && exit 0; sleep 0.5; done; echo "nothing answers on ${path} after ${seconds} s"; exit 1`;
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
 * The order is the order of validation and activation: the resolver, the milter (rspamd) and the
 * policy service before the daemons that use them.
 */
export const serviceRuntimes: Readonly<Record<HostService, ServiceRuntime>> = {
  unbound: {
    // dns-root-data: the root hints and trust anchor; bind9-dnsutils: dig, for the health probe.
    packages: ["unbound", "dns-root-data", "bind9-dnsutils"],
    units: ["unbound.service"],
    enableUnits: ["unbound.service"],
    activation: "reload",
    checks: [
      { command: "unbound-checkconf" },
      // The host's resolver files (render/system/hostResolver.ts) are unbound's too.
      { command: resolvConfCheckCommand() },
      { command: cloudInitDropInCheckCommand(), failOutput: "(error|deprecat)" },
      { command: dhclientHookCheckCommand() },
    ],
    // Postfix's chroot has its own copy of resolv.conf, which Debian refreshes only when Postfix starts.
    afterActivation: postfixChrootResolvConfSyncCommand(),
    healthProbes: [{ name: "the resolver Postfix's chroot uses is the local validating unbound", command: resolverHealthCommand() }],
    ports: [],
    tlsProbes: [],
    logUnits: ["unbound.service"],
    logFiles: [],
    badLogLines: "(fatal error|error:)",
  },
  "mta-sts-resolver": {
    packages: ["postfix-mta-sts-resolver"],
    units: ["postfix-mta-sts-resolver.service"],
    enableUnits: ["postfix-mta-sts-resolver.service"],
    // The daemon has no reload: it reads its file at start; its policy cache survives in sqlite.
    activation: "restart",
    // The daemon's own loader (Debian's python3, which has the module).
    checks: [{ command: `/usr/bin/python3 -c 'import sys; from postfix_mta_sts_resolver.utils import load_config; load_config(sys.argv[1])' ${mtaStsResolverConfPath}`, failOutput: "(error|traceback)" }],
    ports: [mtaStsResolverListener.port],
    tlsProbes: [],
    logUnits: ["postfix-mta-sts-resolver.service"],
    logFiles: [],
    badLogLines: "(error|critical|traceback)",
  },
  rspamd: {
    packages: ["rspamd"],
    directories: [
      // The milter socket lives in Postfix's chroot; only rspamd writes there, only Postfix connects.
      { path: posix.dirname(postfixSpoolPath(postfixSpoolSockets.rspamdMilter)), mode: "0750", owner: "_rspamd", group: "postfix" },
      // The DKIM private keys: rspamd (group _rspamd) may enter, nobody else.
      { path: hostLayout.dkimKeyDir, mode: "0750", owner: "root", group: "_rspamd" },
    ],
    units: ["rspamd.service"],
    enableUnits: ["rspamd.service"],
    // Reload is SIGHUP: the main process re-reads everything and replaces its workers, but keeps
    // every socket it listened on, so the first change from Debian's defaults would leave
    // 127.0.0.1:11332-11334 held with nobody answering. A restart with a warm cache takes half a
    // second (Postfix answers 4xx meanwhile: milter_default_action = tempfail).
    activation: "restart",
    checks: [
      // As the daemon's own user, so a key or map rspamd could not read fails here. -s (strict)
      // fails on an error of any module or of rspamd.local.lua, which plain configtest only logs.
      { command: "setpriv --reuid=_rspamd --regid=_rspamd --init-groups rspamadm configtest -s", failOutput: "(syntax bad|error|warn|crit|cannot|failed)" },
    ],
    // Postfix is activated next and its TLS probes follow: on a first start rspamd loads its rules
    // for up to half a minute before it answers, and until then every smtpd answers 421.
    afterActivation: unixSocketWaitCommand(postfixSpoolPath(postfixSpoolSockets.rspamdMilter), rspamdStartSeconds),
    ports: [],
    tlsProbes: [],
    logUnits: ["rspamd.service"],
    logFiles: [hostLayout.rspamdLog],
    // logging.inc's log_severity = true prefixes every line with its level.
    badLogLines: "\\[(crit|error|warn)\\]",
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
    // The authorized-keys files: root's, so no login can add a key of its own (StrictModes wants
    // no group or other write on the path either). The apply also proves they still admit its deploy.
    directories: [{ path: sshAuthorizedKeysDir, mode: "0755", owner: "root", group: "root" }],
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
  "disk-alert": {
    // df, date and sendmail: coreutils and Postfix, already there.
    packages: [],
    units: [diskAlertTimerUnit],
    enableUnits: [diskAlertTimerUnit],
    // The apply reloads systemd's unit files first; restarting the timer schedules it anew.
    activation: "restart",
    checks: [
      { command: `bash -n ${diskAlertScriptPath}` },
      { command: `systemd-analyze verify ${diskAlertServicePath} ${diskAlertTimerPath}`, failOutput: "penguinmails-disk-alert" },
    ],
    ports: [],
    tlsProbes: [],
    logUnits: ["penguinmails-disk-alert.service"],
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
