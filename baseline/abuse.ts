/** Abuse limits: fail2ban thresholds and SMTP rate limits. */

/**
 * fail2ban: a client that fails to authenticate (SSH, SMTP AUTH, IMAP) too often is banned, and
 * one banned again and again is shut out of every port for a day.
 * @source the product spec (5 failures, 1 hour); fail2ban's recidive jail (jail.conf)
 */
export const fail2ban = {
  /** Failed authentications within findTimeSeconds before a ban. */
  maxRetry: 5,
  /** The window the failures are counted over: 10 minutes. */
  findTimeSeconds: 10 * 60,
  /** The first ban: an hour. */
  banTimeSeconds: 60 * 60,
  /** Repeat offenders (the recidive jail) are banned from every port for a day. */
  recidiveBanTimeSeconds: 24 * 60 * 60,
  /** Recidive counts bans over this window. */
  recidiveFindTimeSeconds: 24 * 60 * 60,
  /** Bans within recidiveFindTimeSeconds that make a repeat offender. */
  recidiveMaxRetry: 3,
} as const;

/**
 * SMTP rate limits: per client address (Postfix's anvil) and per authenticated account.
 * @source the product spec (500 messages per hour per account, counted in recipients); Postfix anvil(8)
 */
export const smtpLimits = {
  /** Postfix anvil: new connections per client IP per minute. */
  connectionsPerMinutePerClient: 50,
  /**
   * Default per authenticated account; tenants may configure their own. Counted in recipients:
   * one message to 1000 recipients is 1000, so a compromised mailbox cannot spray in bulk.
   */
  recipientsPerHourPerAccount: 500,
  /** The window the per-account recipient limit counts over: an hour. */
  accountLimitWindowSeconds: 60 * 60,
  /**
   * Recipients of one message on the submission ports (587, 465): a person writes to a few dozen
   * at most; a mailing goes through a list server, not a mailbox.
   */
  recipientsPerMessageOnSubmission: 50,
  /** The window every per-client "per minute" limit counts over (Postfix's anvil_rate_time_unit). */
  clientLimitWindowSeconds: 60,
  /**
   * Postfix anvil: AUTH commands per client IP per minute, successful or not. fail2ban bans after
   * a handful of failures, but only once it has read them from the log; this caps the burst a
   * guesser gets before the ban lands, and stays above what a NAT full of mail clients needs.
   */
  authAttemptsPerMinutePerClient: 10,
} as const;
