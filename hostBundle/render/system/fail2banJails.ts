import { fail2ban } from "../../../baseline/abuse";
import { publicInboundPorts, sshPort } from "../../../baseline/network";
import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";
import { fail2banBanMailActionName } from "./fail2banBanMailAction";

export const fail2banJailPath = "/etc/fail2ban/jail.d/penguinmails.local";

/** The jails this file enables; every other jail of jail.conf stays disabled. */
export const fail2banJailNames = ["sshd", "postfix", "dovecot", "recidive"] as const;
export type Fail2banJailName = (typeof fail2banJailNames)[number];

/** Only loopback is exempt: the host's own addresses are covered by fail2ban's `ignoreself`. */
export const fail2banIgnoreIps: readonly string[] = ["127.0.0.1/8", "::1"];

/** The sender of ban mails: the tenant domain, which its SPF record authorizes for this host. */
export function fail2banSender(domain: string): string {
  return `fail2ban@${domain}`;
}

/** A password guesser is shut out of every public port: mail, submission, IMAP and HTTPS alike. */
const mailServicePorts = publicInboundPorts.map((rule) => rule.port).join(",");

function thresholds(maxRetry: number, findTimeSeconds: number, banTimeSeconds: number): string[] {
  return [`maxretry = ${maxRetry}`, `findtime = ${findTimeSeconds}`, `bantime = ${banTimeSeconds}`];
}

const firstBan = thresholds(fail2ban.maxRetry, fail2ban.findTimeSeconds, fail2ban.banTimeSeconds);

/**
 * /etc/fail2ban/jail.d/penguinmails.local: the sshd, postfix, dovecot and recidive jails with
 * nftables bans and a mail on each ban. Every jail names its log source explicitly, because on
 * Debian 12 the packaged defaults point at sources that never receive a line.
 */
export function renderFail2banJails(ctx: HostRenderContext): string {
  const { config } = ctx;
  return [
    renderFileHeader(ctx, fail2banJailPath),
    "# fail2ban reads jail.d/*.local after jail.conf and jail.d/*.conf, so these values override",
    "# Debian's defaults-debian.conf ([sshd] enabled = true) without editing that packaged file.",
    "",
    "[DEFAULT]",
    "# Only loopback and the host's own addresses (ignoreself) are never banned: no admin network is",
    "# exempt, so a compromised admin machine is stopped like any other.",
    `ignoreip = ${fail2banIgnoreIps.join(" ")}`,
    "ignoreself = true",
    "# Hostnames in log lines are chosen by the client: never resolve them, ban addresses only.",
    "usedns = no",
    "# fail2ban keeps its bans in its own nftables table (inet f2b-table), which the host",
    "# ruleset never flushes.",
    "banaction = nftables-multiport",
    "banaction_allports = nftables-allports",
    "# Each ban is mailed to the tenant's alert address through the local Postfix.",
    `destemail = ${config.alertEmail}`,
    `sender = ${fail2banSender(config.domain)}`,
    "action = %(action_)s",
    `         ${fail2banBanMailActionName}[dest="%(destemail)s", sender="%(sender)s"]`,
    "",
    "[sshd]",
    "enabled = true",
    "# Debian 12 has no rsyslog, so no /var/log/auth.log: sshd's lines exist only in the journal.",
    "# The filter's journal match includes _COMM=sshd, which also covers Debian's ssh.service.",
    "backend = systemd",
    "# Invalid users, AllowUsers refusals and exhausted MaxAuthTries count; a client offering several",
    "# keys before the right one does not (Debian's default mode).",
    "filter = sshd[mode=normal]",
    `port = ${sshPort.port}`,
    ...firstBan,
    "",
    "[postfix]",
    "enabled = true",
    "# The packaged filter's journal match is postfix.service, but Debian runs postfix@-.service:",
    "# read the file Postfix writes itself (maillog_file through postlogd) instead.",
    `logpath = ${hostLayout.postfixLog}`,
    "backend = polling",
    "# SASL AUTH failures only: one line per failed attempt, so maxretry counts attempts, and a",
    "# legitimate server whose recipients get rejected is never banned.",
    "filter = postfix[mode=auth]",
    `port = ${mailServicePorts}`,
    ...firstBan,
    "",
    "[dovecot]",
    "enabled = true",
    "# Dovecot writes its own log file (no rsyslog); this catches IMAP and SMTP AUTH failures alike.",
    `logpath = ${hostLayout.dovecotLog}`,
    "backend = polling",
    "# Failed logins only: the aggressive mode would also ban clients that disconnect before AUTH.",
    "filter = dovecot[mode=normal]",
    `port = ${mailServicePorts}`,
    ...firstBan,
    "",
    "[recidive]",
    "enabled = true",
    "# Counts this host's own Ban lines: a client banned again and again is shut out of every port.",
    `logpath = ${hostLayout.fail2banLog}`,
    "backend = polling",
    "filter = recidive",
    "banaction = %(banaction_allports)s",
    ...thresholds(fail2ban.recidiveMaxRetry, fail2ban.recidiveFindTimeSeconds, fail2ban.recidiveBanTimeSeconds),
    "",
  ].join("\n");
}
