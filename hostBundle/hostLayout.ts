/**
 * Where things live on the host. Renderers, the bundle, the apply script and the lab all read
 * these paths from here, so a file is never expected in two places.
 */
export const hostLayout = {
  /** The apply script's own state: staging, the previous files, the installed manifest, its lock. */
  applyStateDir: "/var/lib/penguinmails",
  /** The bundle is unpacked here before the apply script validates and installs it. */
  bundleStagingDir: "/var/lib/penguinmails/staging",
  /** The last good config, restored when a new one fails. */
  bundleBackupDir: "/var/lib/penguinmails/previous",
  /** JSON lines in the spec's AuditLog shape, one per action of the apply script. */
  auditLog: "/var/log/penguinmails/audit.jsonl",
  tls: {
    /** Certificate followed by its chain: Postfix, Dovecot and nginx all read this one file. */
    fullchain: "/etc/penguinmails/tls/fullchain.pem",
    privateKey: "/etc/penguinmails/tls/privkey.pem",
  },
  /** rspamd's own tree: Debian's files, with ours in local.d/, override.d/ and rspamd.local.lua beside them. */
  rspamdConfigDir: "/etc/rspamd",
  /** One private key per published DKIM selector, readable by rspamd only (dkimKeyFile). */
  dkimKeyDir: "/etc/rspamd/dkim",
  /** Which SASL login owns each address, for rspamd's check of the header From on submission. */
  rspamdSenderMap: "/etc/rspamd/local.d/maps/sender_login.map",
  /** The tenant domain and the DKIM selector rspamd signs it with. */
  rspamdTenantDomainMap: "/etc/rspamd/local.d/maps/tenant_domains.map",
  /** rspamd writes its own log file (Debian's rspamd.conf); the apply script reads it after a reload. */
  rspamdLog: "/var/log/rspamd/rspamd.log",
  /** Debian 12 has no rsyslog: Postfix writes this file itself (postlog), and fail2ban reads it. */
  postfixLog: "/var/log/mail.log",
  /** Dovecot writes its own log file for the same reason; fail2ban's dovecot jail reads it. */
  dovecotLog: "/var/log/dovecot.log",
  dovecotPasswdFile: "/etc/dovecot/penguinmails-users",
  mtaStsWebRoot: "/var/www/mta-sts",
  /** RFC 8461 fixes the policy's URL path; nginx serves it from under mtaStsWebRoot. */
  mtaStsPolicyFile: "/var/www/mta-sts/.well-known/mta-sts.txt",
  /** fail2ban's own log (Debian's fail2ban.conf logtarget): the recidive jail reads its Ban lines. */
  fail2banLog: "/var/log/fail2ban.log",
  /** Debian's nftables.service loads this file at boot and on reload. */
  nftablesRuleset: "/etc/nftables.conf",
  /**
   * sshd keeps the first value it reads for a keyword, and Debian's sshd_config includes
   * sshd_config.d/*.conf at its top in name order: "00-" puts ours before any image or cloud-init drop-in.
   */
  sshdDropIn: "/etc/ssh/sshd_config.d/00-penguinmails.conf",
  /** Postfix's queue directory and, on Debian, its chroot jail: sockets Postfix connects to live below it. */
  postfixSpoolDir: "/var/spool/postfix",
  /** The tenant's mailbox addresses: the recipients Postfix delivers to Dovecot. */
  postfixMailboxMap: "/etc/postfix/penguinmails-mailboxes",
  /** The tenant's aliases and role addresses, each with the address it is delivered to. */
  postfixAliasMap: "/etc/postfix/penguinmails-aliases",
  /** Which SASL login owns each address: what a logged-in user may send as. */
  postfixSenderMap: "/etc/postfix/penguinmails-senders",
  /** header_checks of the submission cleanup service: strips the client's address from Received:. */
  postfixSubmissionHeaderChecks: "/etc/postfix/penguinmails-submission-header-checks",
  /** Every mailbox's Maildir, owned by the one virtual mail user. */
  mailStorageDir: "/var/vmail",
  /** postfwd saves its per-account message counters here, so a restart does not reset them. */
  postfwdStateDir: "/var/lib/postfwd",
} as const;

/** The DKIM private key file of one selector, as rspamd's signing condition names it. */
export function dkimPrivateKeyPath(selector: string): string {
  return `${hostLayout.dkimKeyDir}/${selector}.key`;
}
