/**
 * Where things live on the host. Renderers, the bundle, the apply script and the lab all read
 * these paths from here, so a file is never expected in two places.
 */
export const hostLayout = {
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
  dkimKeyDir: "/etc/opendkim/keys",
  /** Debian 12 has no rsyslog: Postfix writes this file itself (postlog), and fail2ban reads it. */
  postfixLog: "/var/log/mail.log",
  /** Dovecot writes its own log file for the same reason; fail2ban's dovecot jail reads it. */
  dovecotLog: "/var/log/dovecot.log",
  dovecotPasswdFile: "/etc/dovecot/penguinmails-users",
  mtaStsWebRoot: "/var/www/mta-sts",
} as const;

/** The OpenDKIM private key file of one selector. */
export function dkimPrivateKeyPath(selector: string): string {
  return `${hostLayout.dkimKeyDir}/${selector}.private`;
}
