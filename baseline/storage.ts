/**
 * Disk on the mail host: every mailbox has a quota, so mail to one address (a flood, a loop, a
 * forgotten mailbox) cannot fill the disk the queue, the logs and every other mailbox share, and
 * the operator hears of a filling disk before Postfix has to refuse mail.
 */

/**
 * A mailbox's default quota. The droplet's disk (50 GB on s-1vcpu-2gb) holds several full
 * mailboxes; tenants may give a mailbox its own quota.
 * @source Dovecot's quota plugin (doc.dovecot.org, "Quota"); DigitalOcean's droplet sizes
 */
export const defaultMailboxQuotaMegabytes = 5120;

/**
 * The largest quota a mailbox may be given (1 TiB): beyond it a value is a unit mistake (bytes or
 * kilobytes where megabytes were meant), not a mailbox.
 * @source this project's choice
 */
export const maximumMailboxQuotaMegabytes = 1024 * 1024;

/**
 * How far a mailbox may go over its quota with the message that crosses it: the message is
 * delivered, and only the next is refused, at RCPT, where the refusal reaches the sender's own
 * server instead of a bounce to a possibly forged address.
 * @source Dovecot's quota_grace; quota-status(1), the Postfix policy service that refuses at RCPT
 */
export const mailboxQuotaGracePercent = 10;

/**
 * The mail store's disk use at which the alert address is mailed (once a day while it lasts),
 * and the level at which the alert says mail will soon be refused.
 * @source this project's choice: time to act before queue_minfree refuses mail
 */
export const diskAlertPercent = { warning: 80, critical: 90 } as const;

/**
 * Free space below which Postfix refuses new mail (452 4.3.1, the sender retries later) instead
 * of filling the disk: enough for the logs, apt and journald to go on working.
 * @source Postfix's queue_minfree (postconf(5): at least 1.5 times message_size_limit)
 */
export const postfixQueueMinimumFreeMegabytes = 1024;
