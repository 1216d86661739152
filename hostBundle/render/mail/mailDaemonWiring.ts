import { hostLayout } from "../../hostLayout";

/**
 * Where the mail daemons meet. Debian runs Postfix's daemons chrooted into its spool directory, so
 * every UNIX socket Postfix connects to lives below it, and Postfix names it relative to the spool
 * (its daemons chdir there, chrooted or not).
 */
export const postfixSpoolSockets = {
  /** Dovecot's auth service: Postfix asks it whether a SASL login is valid. */
  dovecotAuth: "private/auth",
  /** Dovecot's LMTP service: Postfix delivers the tenant's mail into it. */
  dovecotLmtp: "private/dovecot-lmtp",
  /** Dovecot's quota-status policy service: Postfix refuses a recipient whose mailbox is full at RCPT. */
  dovecotQuotaStatus: "private/dovecot-quota-status",
  /**
   * rspamd's milter socket. Its directory (0750 _rspamd:postfix) is the access control: only
   * Postfix may hand rspamd a message, so no local user can get mail DKIM-signed through it.
   */
  rspamdMilter: "rspamd/milter.sock",
} as const;

/** The absolute path of a socket below Postfix's spool, as the serving daemon creates it. */
export function postfixSpoolPath(relative: string): string {
  return `${hostLayout.postfixSpoolDir}/${relative}`;
}

/**
 * The local validating resolver (unbound, unboundConf.ts). rspamd sends every SPF, DKIM and DMARC
 * lookup here and nowhere else.
 */
export const localResolver = { host: "127.0.0.1", port: 53 } as const;

/**
 * postfwd, the per-account rate-limit policy service, on Debian's default address. It listens on
 * TCP only, so it is bound to loopback; Postfix reaches it from inside the chroot without a socket.
 */
export const rateLimitPolicyService = { host: "127.0.0.1", port: 10040 } as const;

/**
 * Every mailbox's files belong to this one user: mailbox logins are Dovecot accounts, not Linux
 * accounts. A fixed id, clear of Debian's system accounts (below 1000) and the admin user (1000),
 * lets Dovecot pin mail access to exactly this uid and gid.
 */
export const virtualMailUser = { name: "vmail", uid: 5000, gid: 5000 } as const;
