/** Abuse limits: fail2ban thresholds and SMTP rate limits. */

export const fail2ban = {
  maxRetry: 5,
  findTimeSeconds: 10 * 60,
  banTimeSeconds: 60 * 60,
  /** Repeat offenders (the recidive jail) are banned from every port for a day. */
  recidiveBanTimeSeconds: 24 * 60 * 60,
  /** Recidive counts bans over this window. */
  recidiveFindTimeSeconds: 24 * 60 * 60,
  recidiveMaxRetry: 3,
} as const;

export const smtpLimits = {
  /** Postfix anvil: new connections per client IP per minute. */
  connectionsPerMinutePerClient: 50,
  /** Default per authenticated account; tenants may configure their own. */
  messagesPerHourPerAccount: 500,
  /** The window the per-account message limit counts over: an hour. */
  accountLimitWindowSeconds: 60 * 60,
  /** The window every per-client "per minute" limit counts over (Postfix's anvil_rate_time_unit). */
  clientLimitWindowSeconds: 60,
  /**
   * Postfix anvil: AUTH commands per client IP per minute, successful or not. fail2ban bans after
   * a handful of failures, but only once it has read them from the log; this caps the burst a
   * guesser gets before the ban lands, and stays above what a NAT full of mail clients needs.
   */
  authAttemptsPerMinutePerClient: 10,
} as const;
