/** Every check of the mail lab, in the order the results table lists them. */
export const checkNames = [
  "mail.in",
  "dane.tlsa",
  "mail.out-587",
  "mail.out-465",
  "mta-sts.policy",
  "https.headers",
  "tls.25",
  "tls.465",
  "tls.587",
  "tls.993",
  "tls.443",
  "ports.v4",
  "ports.v6",
  "ssh.admin-only",
  "smtp.auth-after-starttls",
  "smtp.no-relay",
  "smtp.connection-limit",
  "smtp.account-limit",
  "fail2ban.ban",
  "fail2ban.notice",
  "fail2ban.scanner-not-banned",
  "logs.clean",
  "apply.rollback",
] as const;

export type CheckName = (typeof checkNames)[number];
