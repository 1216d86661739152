import { fail2ban } from "../../../baseline/abuse";
import { publicInboundPorts, sshPort } from "../../../baseline/network";
import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";
import { fail2banActionValueProblem, fail2banBanMailActionName } from "./fail2banBanMailAction";
import { fail2banMailAuthFilterName } from "./fail2banMailAuthFilter";

export const fail2banJailPath = "/etc/fail2ban/jail.d/penguinmails.local";

/**
 * The jails this file enables; every other jail of jail.conf stays disabled, the packaged postfix
 * and dovecot jails included (mail-auth replaces both).
 */
export const fail2banJailNames = ["sshd", "mail-auth", "recidive"] as const;
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

/** The ban mail's address and sender, checked against what the ban action can quote. */
function actionValue(key: string, value: string): string {
  const problem = fail2banActionValueProblem(value);
  if (problem) throw new Error(`fail2ban ${key} ${JSON.stringify(value)} ${problem}`);
  return value;
}

/**
 * /etc/fail2ban/jail.d/penguinmails.local: the sshd, mail-auth and recidive jails with nftables
 * bans and a mail on each ban. Every jail names its log source explicitly, because on Debian 12
 * the packaged defaults point at sources that never receive a line.
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
    `destemail = ${actionValue("destemail", config.alertEmail)}`,
    `sender = ${actionValue("sender", fail2banSender(config.domain))}`,
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
    "[mail-auth]",
    "enabled = true",
    "# Every mailbox password check, SMTP AUTH (587, 465) and IMAP (993) alike, in one jail: a",
    "# guesser's failures add up across services, each counted once from the one log that sees it",
    "# (see the filter). It replaces the packaged postfix and dovecot jails, which stay disabled:",
    "# postfix[mode=auth] skips the attempts Dovecot's auth penalty delays past Postfix's 10 s SASL",
    "# timeout, and the dovecot filter counts IMAP per connection (and SMTP AUTH a second time).",
    "# No rsyslog on Debian 12: Postfix (maillog_file through postlogd) and Dovecot (log_path) write",
    "# these files themselves.",
    `logpath = ${hostLayout.postfixLog}`,
    `          ${hostLayout.dovecotLog}`,
    "backend = polling",
    `filter = ${fail2banMailAuthFilterName}`,
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
