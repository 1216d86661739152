import { smtpLimits } from "../../../baseline/abuse";
import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";
import { postfixSpoolSockets, rateLimitPolicyService } from "./mailDaemonWiring";
import { baselineCipherList, postfixExcludedCiphers, postfixProtocolFloor } from "./tlsPolicy";

export const postfixMainCfPath = "/etc/postfix/main.cf";

/**
 * Restriction lists that only the submission services (587, 465) use. They live in main.cf, where
 * each carries its reason, and master.cf refers to them as `$name`; Postfix counts them as used.
 */
export const submissionRestrictionParameters = {
  client: "penguinmails_submission_client_restrictions",
  sender: "penguinmails_submission_sender_restrictions",
  relay: "penguinmails_submission_relay_restrictions",
  data: "penguinmails_submission_data_restrictions",
} as const;

/** The milter socket as Postfix names it: relative to its spool, so it resolves inside the chroot too. */
export const postfixOpendkimMilter = `unix:${postfixSpoolSockets.opendkim}`;

/**
 * /etc/postfix/main.cf: Postfix 3.7 as the tenant's MX (25, opportunistic TLS) and submission
 * server (587 and 465, SASL through Dovecot), delivering the tenant's mailboxes to Dovecot over
 * LMTP and sending with DANE through the local validating resolver.
 */
export function renderPostfixMainCf(ctx: HostRenderContext): string {
  const { config } = ctx;
  const connectionsPerMinute = smtpLimits.connectionsPerMinutePerClient;
  return [
    renderFileHeader(ctx, postfixMainCfPath),
    "# Postfix takes comments only on their own line: each reason sits above its setting.",
    "",
    "# Postfix 3.6 defaults (the newest level Postfix 3.7 knows); silences the compatibility warnings.",
    "compatibility_level = 3.6",
    "",
    "# --- Identity ---",
    "# The name receivers check against the PTR record (forward-confirmed reverse DNS).",
    `myhostname = ${ctx.mailHostname}`,
    `mydomain = ${config.domain}`,
    "# Mail the host writes itself (cron, root) is from the tenant domain, so it is DKIM-signed and",
    "# SPF-aligned like any other; the mail.<domain> name has no SPF record of its own.",
    "myorigin = $mydomain",
    "# The tenant domain is a virtual mailbox domain below; a domain must never be both.",
    "mydestination = localhost",
    "# No /etc/aliases: nothing is delivered locally that needs one, and Debian does not build its",
    "# aliases.db unless asked (smtpd logs an error on every start when it is missing).",
    "alias_maps =",
    "alias_database =",
    "# Loopback only: these clients skip the anvil limits below, and nothing else is trusted.",
    "mynetworks = 127.0.0.0/8 [::1]/128",
    "inet_interfaces = all",
    "inet_protocols = all",
    "# Say nothing about the software or its version.",
    "smtpd_banner = $myhostname ESMTP",
    "biff = no",
    "append_dot_mydomain = no",
    "readme_directory = no",
    "",
    "# --- The tenant's mailboxes, delivered to Dovecot ---",
    `virtual_mailbox_domains = ${config.domain}`,
    "# Unknown recipients are refused during the SMTP dialogue, so this host never accepts mail it",
    "# would have to bounce to a forged sender (backscatter). texthash: is read as text: no postmap step.",
    `virtual_mailbox_maps = texthash:${hostLayout.postfixMailboxMap}`,
    "# Dovecot's LMTP socket inside Postfix's spool (the lmtp client may run chrooted there).",
    `virtual_transport = lmtp:unix:${postfixSpoolSockets.dovecotLmtp}`,
    ...renderRoleAliases(config.domain, config.alertEmail, config.mailboxes.map((m) => m.address)),
    "",
    "# --- Logging ---",
    "# Debian 12 has no syslog daemon: postlogd (the postlog service in master.cf) writes the log",
    "# file itself, so fail2ban's postfix jail reads a file that really receives every line.",
    `maillog_file = ${hostLayout.postfixLog}`,
    "# postlogd refuses to write anywhere else.",
    `maillog_file_prefixes = ${logDirectory(hostLayout.postfixLog)}`,
    "",
    "# --- Inbound TLS (25: opportunistic; 587 and 465 raise it to required in master.cf) ---",
    "# Key first, then the certificate and its chain: the order smtpd_tls_chain_files demands.",
    `smtpd_tls_chain_files = ${hostLayout.tls.privateKey}, ${hostLayout.tls.fullchain}`,
    "# RFC 3207: a public MX must accept mail from servers without TLS, so TLS is offered, not required.",
    "smtpd_tls_security_level = may",
    "# TLS 1.2 and 1.3 only, on port 25 too: internet.nl fails an MX that still speaks TLS 1.0/1.1.",
    `smtpd_tls_protocols = ${postfixProtocolFloor}`,
    `smtpd_tls_mandatory_protocols = ${postfixProtocolFloor}`,
    "# Both grades use tls_high_cipherlist: the six ECDHE AEAD suites of Mozilla's intermediate",
    "# profile. No DHE: internet.nl rates any non-RFC 7919 DH group insufficient.",
    "smtpd_tls_ciphers = high",
    "smtpd_tls_mandatory_ciphers = high",
    `tls_high_cipherlist = ${baselineCipherList}`,
    "# Postfix's defaults would offer anonymous (aNULL) suites on 25, 465 and 587; never these classes.",
    `smtpd_tls_exclude_ciphers = ${postfixExcludedCiphers}`,
    "# The server's order wins, so a client cannot steer the handshake to its weakest common suite.",
    "tls_preempt_cipherlist = yes",
    "# No TLS compression (CRIME) and no client-initiated renegotiation (a cheap CPU exhaustion).",
    "tls_ssl_options = NO_COMPRESSION, NO_RENEGOTIATION",
    "smtpd_tls_session_cache_database = btree:${data_directory}/smtpd_scache",
    "smtpd_tls_loglevel = 1",
    "# Records the TLS version and cipher in Received:, so a delivery's transport can be audited.",
    "smtpd_tls_received_header = yes",
    "",
    "# --- Authentication (SASL through Dovecot's auth socket) ---",
    "smtpd_sasl_type = dovecot",
    "# Relative to Postfix's spool, where Dovecot creates the socket: reachable from the chroot.",
    `smtpd_sasl_path = ${postfixSpoolSockets.dovecotAuth}`,
    "# Off here, so port 25 never offers AUTH at all; master.cf turns it on for 587 and 465 only.",
    "smtpd_sasl_auth_enable = no",
    "# AUTH is offered only inside TLS: a password never crosses the network in the clear.",
    "smtpd_tls_auth_only = yes",
    "# No anonymous logins; PLAIN and LOGIN only inside TLS (the rule that applies before it).",
    "smtpd_sasl_security_options = noanonymous, noplaintext",
    "smtpd_sasl_tls_security_options = noanonymous",
    "# Received: does not name the login, which would tell the world the tenant's account names.",
    "smtpd_sasl_authenticated_header = no",
    "",
    "# --- Who may relay ---",
    "# Only authenticated users relay; everyone else may deliver only to the tenant's own domain.",
    "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination",
    "# Valid owners of each sender address: a mailbox may send only as itself.",
    `smtpd_sender_login_maps = texthash:${hostLayout.postfixMailboxMap}`,
    "# Submission (587, 465): nobody gets past RCPT TO without logging in first.",
    `${submissionRestrictionParameters.client} = permit_sasl_authenticated, reject`,
    "# A logged-in user cannot forge another mailbox (or any address it does not own) as sender.",
    `${submissionRestrictionParameters.sender} = reject_non_fqdn_sender, reject_sender_login_mismatch`,
    `${submissionRestrictionParameters.relay} = permit_sasl_authenticated, reject`,
    "# The per-account hourly message limit. Anvil counts per client address, never per account, so",
    "# postfwd (a policy service from Debian's packages) counts each authenticated login's messages.",
    "# Asked once per message, at DATA. When it is down Postfix answers 451 (the default action):",
    "# submissions wait rather than leave unlimited.",
    `${submissionRestrictionParameters.data} = check_policy_service inet:${rateLimitPolicyService.host}:${rateLimitPolicyService.port}`,
    "",
    "# --- Protocol hygiene ---",
    "# SMTP smuggling (CVE-2023-51764): a bare LF is not an end of line; normalised to CRLF, never",
    "# read as the end of DATA. Backported to Postfix 3.7.10.",
    "smtpd_forbid_bare_newline = normalize",
    "# Clients that send commands before the server's greeting or reply are spambots, not MTAs.",
    "smtpd_forbid_unauth_pipelining = yes",
    "# VRFY would let anyone test which addresses exist.",
    "disable_vrfy_command = yes",
    "smtpd_helo_required = yes",
    "",
    "# --- Abuse limits (anvil counts per client address) ---",
    `anvil_rate_time_unit = ${smtpLimits.clientLimitWindowSeconds}s`,
    `smtpd_client_connection_rate_limit = ${connectionsPerMinute}`,
    "# Every connection negotiates at most one full handshake (renegotiation is off), so handshakes",
    "# get the connection budget: the expensive part of a connection stays capped on its own.",
    `smtpd_client_new_tls_session_rate_limit = ${connectionsPerMinute}`,
    "# AUTH attempts, failed or not: caps a guesser's burst before fail2ban's ban lands.",
    `smtpd_client_auth_rate_limit = ${smtpLimits.authAttemptsPerMinutePerClient}`,
    "",
    "# --- DKIM signing (OpenDKIM milter) ---",
    "# A UNIX socket inside the spool, group postfix: only Postfix reaches the signer.",
    `smtpd_milters = ${postfixOpendkimMilter}`,
    "# Local mail (cron, fail2ban's ban notices) is signed too.",
    "non_smtpd_milters = $smtpd_milters",
    "# Only root (cron, fail2ban, unattended-upgrades) may hand mail to sendmail: a compromised",
    "# service account cannot send mail signed as the tenant domain.",
    "authorized_submit_users = root",
    "# If OpenDKIM is down, mail still flows, unsigned, rather than being refused.",
    "milter_default_action = accept",
    "",
    "# --- Outbound: DANE through the local validating resolver (unbound on 127.0.0.1) ---",
    "# Trust the resolver's DNSSEC verdict (AD bit), so TLSA records can be used.",
    "smtp_dns_support_level = dnssec",
    "# Authenticated TLS to MX hosts that publish TLSA records; opportunistic TLS elsewhere.",
    "smtp_tls_security_level = dane",
    `smtp_tls_protocols = ${postfixProtocolFloor}`,
    `smtp_tls_mandatory_protocols = ${postfixProtocolFloor}`,
    "# Cipher grades stay Postfix's defaults outbound: opportunistic TLS that fails the handshake",
    "# falls back to plaintext, so a narrower list would make some deliveries less safe, not more.",
    `smtp_tls_exclude_ciphers = ${postfixExcludedCiphers}`,
    "smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache",
    "smtp_tls_loglevel = 1",
    "",
  ].join("\n");
}

/** Addresses every mail domain must accept (RFC 5321 4.5.1, RFC 2142) and the host's own root. */
export const roleAddresses = ["postmaster", "abuse", "root"] as const;

/**
 * The role addresses that no configured mailbox covers reach the tenant's alert address: an
 * inline table in main.cf, so no file and no postmap step. A configured mailbox always wins.
 */
function renderRoleAliases(domain: string, alertEmail: string, mailboxes: readonly string[]): string[] {
  if (/[\s{},=]/.test(alertEmail)) throw new Error(`alertEmail ${JSON.stringify(alertEmail)} cannot go into a Postfix inline table`);
  const entries = roleAddresses
    .map((role) => `${role}@${domain}`)
    .filter((address) => !mailboxes.includes(address) && address !== alertEmail.toLowerCase())
    .map((address) => `${address}=${alertEmail}`);
  if (entries.length === 0) return [];
  return [
    "# postmaster@ (RFC 5321) and abuse@ (RFC 2142) must reach a person, and root@ receives the",
    "# host's own reports (cron): without a mailbox of that name, each goes to the alert address.",
    `virtual_alias_maps = inline:{ ${entries.join(", ")} }`,
  ];
}

/** postlogd writes only below maillog_file_prefixes: the log file's own directory. */
function logDirectory(file: string): string {
  return file.slice(0, file.lastIndexOf("/"));
}
