import { renderFileHeader, type HostRenderContext } from "../../renderContext";
import { originatingDaemonName, rspamdPolicyLuaPath } from "./rspamd/rspamdPolicyLua";
import { submissionCleanupService, submissionRestrictionParameters } from "./postfixMainCf";

export const postfixMasterCfPath = "/etc/postfix/master.cf";

interface MasterService {
  readonly name: string;
  readonly type: "inet" | "unix" | "unix-dgram";
  readonly private: "n" | "-";
  readonly unprivileged: "n" | "-";
  readonly chroot: "y" | "n";
  readonly wakeup: string;
  readonly maxproc: string;
  readonly command: string;
  readonly options?: readonly string[];
  readonly why?: string;
}

/** Overrides shared by both submission listeners: login required, and the submission restriction lists. */
function submissionOptions(ctx: HostRenderContext, syslogName: string, extra: readonly string[]): string[] {
  const p = submissionRestrictionParameters;
  return [
    `syslog_name=postfix/${syslogName}`,
    ...extra,
    // TLS before anything else: 587 demands STARTTLS, 465 speaks TLS from the first byte.
    "smtpd_tls_security_level=encrypt",
    "smtpd_sasl_auth_enable=yes",
    `smtpd_client_restrictions=$${p.client}`,
    `smtpd_sender_restrictions=$${p.sender}`,
    `smtpd_relay_restrictions=$${p.relay}`,
    "smtpd_recipient_restrictions=",
    `smtpd_data_restrictions=$${p.data}`,
    // A person writes to a few dozen at most; more goes through a list server (baseline/abuse.ts).
    `smtpd_recipient_limit=${ctx.config.limits.recipientsPerMessage}`,
    // The cleanup service that drops the client's address from smtpd's Received: header.
    `cleanup_service_name=${submissionCleanupService}`,
  ];
}

/**
 * The services Postfix runs. Debian's layout (chrooted daemons in /var/spool/postfix) without the
 * pipe transports this host never uses, plus the two submission listeners and postlogd.
 */
function services(ctx: HostRenderContext): MasterService[] {
  return [
    { name: "smtp", type: "inet", private: "n", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "smtpd",
      why: "Port 25: mail from other servers for the tenant domain. STARTTLS offered, AUTH never." },
    { name: "submission", type: "inet", private: "n", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "smtpd",
      why: "Port 587: mail clients, STARTTLS required before AUTH (RFC 6409).",
      options: submissionOptions(ctx, "submission", []) },
    { name: "submissions", type: "inet", private: "n", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "smtpd",
      why: "Port 465: mail clients over implicit TLS (RFC 8314).",
      options: submissionOptions(ctx, "submissions", ["smtpd_tls_wrappermode=yes"]) },
    { name: "pickup", type: "unix", private: "n", unprivileged: "-", chroot: "y", wakeup: "60", maxproc: "1", command: "pickup" },
    { name: "cleanup", type: "unix", private: "n", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "0", command: "cleanup",
      why: `Runs non_smtpd_milters (sendmail, bounces, notices): daemon_name ${originatingDaemonName} tells ${rspamdPolicyLuaPath} to sign.`,
      options: [`milter_macro_daemon_name=${originatingDaemonName}`] },
    { name: submissionCleanupService, type: "unix", private: "n", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "0", command: "cleanup",
      why: "587 and 465 only: drops the client's address and HELO name from Received:. Body headers stay (DKIM hashes them).",
      options: [`header_checks=$${submissionRestrictionParameters.headerChecks}`, "mime_header_checks=", "nested_header_checks="] },
    { name: "qmgr", type: "unix", private: "n", unprivileged: "-", chroot: "n", wakeup: "300", maxproc: "1", command: "qmgr" },
    { name: "tlsmgr", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "1000?", maxproc: "1", command: "tlsmgr" },
    { name: "rewrite", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "trivial-rewrite" },
    { name: "bounce", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "0", command: "bounce" },
    { name: "defer", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "0", command: "bounce" },
    { name: "trace", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "0", command: "bounce" },
    { name: "verify", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "1", command: "verify" },
    { name: "flush", type: "unix", private: "n", unprivileged: "-", chroot: "y", wakeup: "1000?", maxproc: "0", command: "flush" },
    { name: "proxymap", type: "unix", private: "-", unprivileged: "-", chroot: "n", wakeup: "-", maxproc: "-", command: "proxymap" },
    { name: "proxywrite", type: "unix", private: "-", unprivileged: "-", chroot: "n", wakeup: "-", maxproc: "1", command: "proxymap" },
    { name: "smtp", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "smtp",
      why: "Outbound delivery. Chrooted, it resolves through the spool's copy of /etc/resolv.conf." },
    { name: "relay", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "smtp",
      options: ["syslog_name=postfix/$service_name"] },
    { name: "showq", type: "unix", private: "n", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "showq" },
    { name: "error", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "error" },
    { name: "retry", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "error" },
    { name: "discard", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "discard" },
    { name: "local", type: "unix", private: "-", unprivileged: "n", chroot: "n", wakeup: "-", maxproc: "-", command: "local",
      why: "Mail to @localhost only; the tenant's mailboxes go to Dovecot through lmtp." },
    { name: "lmtp", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "-", command: "lmtp" },
    { name: "anvil", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "1", command: "anvil",
      why: "Counts connections, TLS handshakes and AUTH per client for the rate limits in main.cf." },
    { name: "scache", type: "unix", private: "-", unprivileged: "-", chroot: "y", wakeup: "-", maxproc: "1", command: "scache" },
    { name: "postlog", type: "unix-dgram", private: "n", unprivileged: "-", chroot: "n", wakeup: "-", maxproc: "1", command: "postlogd",
      why: "Writes maillog_file (Debian 12 has no syslog daemon). Not chrooted: it writes below /var/log." },
  ];
}

function serviceLines(service: MasterService): string[] {
  const columns = [
    service.name.padEnd(11),
    service.type.padEnd(10),
    service.private.padEnd(7),
    service.unprivileged.padEnd(7),
    service.chroot.padEnd(7),
    service.wakeup.padEnd(7),
    service.maxproc.padEnd(7),
    service.command,
  ];
  return [
    ...(service.why ? [`# ${service.why}`] : []),
    columns.join(" "),
    ...(service.options ?? []).map((option) => `  -o ${option}`),
  ];
}

/** /etc/postfix/master.cf: the listeners (25, 587, 465) and Postfix's internal services. */
export function renderPostfixMasterCf(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, postfixMasterCfPath),
    "# Submission overrides name restriction lists defined, with their reasons, in main.cf.",
    "# chroot y: Debian's hardening; those daemons see only /var/spool/postfix.",
    "#",
    "# service    type       private unpriv  chroot  wakeup  maxproc command + args",
    ...services(ctx).flatMap(serviceLines),
    "",
  ].join("\n");
}
