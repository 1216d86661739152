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
} as const;
