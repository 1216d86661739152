/**
 * Lines Postfix 3.7 (maillog_file) and Dovecot 2.3 (log_path, auth_verbose = yes) wrote in the
 * brute-force lab, without their timestamps, each with the address fail2ban's mail-auth filter
 * must count it for (once), or none. Shared by the filter's unit test (the regexes in JavaScript)
 * and its system test (fail2ban-regex).
 */
export interface MailAuthLogLine {
  /** The line after its "Nov 29 21:14:50 " timestamp. */
  readonly text: string;
  /** The address the line counts one failure for; undefined: the line counts nothing. */
  readonly counts?: string;
  readonly why: string;
}

export const mailAuthLogLines: readonly MailAuthLogLine[] = [
  {
    text: "mail postfix/submission/smtpd[4176]: warning: unknown[198.51.100.7]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=alice@tenant-one.example",
    counts: "198.51.100.7",
    why: "a wrong password on 587",
  },
  {
    text: "mail postfix/submissions/smtpd[5763]: warning: unknown[198.51.100.8]: SASL LOGIN authentication failed: Connection lost to authentication server, sasl_username=(unavailable)",
    counts: "198.51.100.8",
    why: "a guess on 465 that Dovecot's auth penalty held past Postfix's 10 s SASL timeout",
  },
  {
    text: "mail postfix/submission/smtpd[11380]: warning: unknown[fd42:1ab::7]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=alice@tenant-one.example",
    counts: "fd42:1ab::7",
    why: "a wrong password on 587 over IPv6",
  },
  {
    text: "mail postfix/submission/smtpd[31799]: warning: unknown[198.51.100.7]: SASL PLAIN authentication failed: Invalid base64 data in initial response, sasl_username=nobody@tenant-one.example",
    counts: "198.51.100.7",
    why: "a malformed AUTH that Dovecot refused",
  },
  {
    text: "mail postfix/submission/smtpd[4242]: warning: unknown[198.51.100.7]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=x warning: unknown[203.0.113.9]: SASL PLAIN authentication failed: ",
    counts: "198.51.100.7",
    why: "a username that imitates another client's line still counts for the client that sent it",
  },
  {
    text: "mail postfix/submission/smtpd[31799]: warning: unknown[198.51.100.7]: SASL CRAM-MD5 authentication failed: Invalid authentication mechanism, sasl_username=(unavailable)",
    why: "an unoffered mechanism never reaches Dovecot: no password was checked",
  },
  {
    text: "mail postfix/submission/smtpd[31799]: warning: unknown[198.51.100.7]: SASL LOGIN authentication aborted",
    why: "the client gave up before sending a password",
  },
  {
    text: "mail postfix/submission/smtpd[31799]: lost connection after AUTH from unknown[198.51.100.7]",
    why: "the failed AUTH itself was counted from its warning",
  },
  {
    text: "mail postfix/submission/smtpd[4176]: disconnect from unknown[198.51.100.7] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5",
    why: "a summary per connection, not per attempt",
  },
  {
    text: "auth: Info: passwd-file(alice@tenant-one.example,198.51.100.9,<oJE8znBhTMXGM2QJ>): Password mismatch",
    counts: "198.51.100.9",
    why: "a wrong password on 993",
  },
  {
    text: "auth: Info: passwd-file(alice@tenant-one.example,fd42:1ab::7,<J1Fc2HBhKr39QgGrAAAAAAAAAAAAAAAH>): Password mismatch",
    counts: "fd42:1ab::7",
    why: "a wrong password on 993 over IPv6",
  },
  {
    text: "auth: Info: passwd-file(nobody@tenant-one.example,198.51.100.7,<gL98PHFhrbTGM2QH>): unknown user",
    counts: "198.51.100.7",
    why: "an unknown mailbox on 993",
  },
  {
    text: "auth: Info: plain(?,198.51.100.23,<86kt6XBhJpjGM2QX>): Username character disallowed by auth_username_chars: 0x24 (username: $(touch${IFS}/tmp/pwned3)`touch${IFS}/tmp/pwned4`)",
    counts: "198.51.100.23",
    why: "a username Dovecot refuses on 993",
  },
  {
    text: "auth: Info: passwd-file(alice@tenant-one.example,198.51.100.7): Password mismatch",
    why: "Postfix's SASL request (no session id): already counted from Postfix's warning",
  },
  {
    text: "auth: Info: plain(?,198.51.100.7): Empty username",
    why: "Postfix's SASL request (no session id): already counted from Postfix's warning",
  },
  {
    text: "auth: Info: passwd-file(nobody@tenant-one.example,198.51.100.7): unknown user",
    why: "Postfix's SASL request (no session id): already counted from Postfix's warning",
  },
  {
    text: "imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<alice@tenant-one.example>, method=PLAIN, rip=198.51.100.9, lip=198.51.100.1, TLS, session=<oJE8znBhTMXGM2QJ>",
    why: "one line per IMAP connection: its attempts were counted from the auth lines",
  },
  {
    text: "imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 4 attempts in 35 secs): user=<ops@tenant-one.example>, method=PLAIN, rip=fd42:1ab::7, lip=fd42:1ab::1, TLS, session=<QpM3H3FhD9P9QgGrAAAAAAAAAAAAAAAH>",
    why: "one line for four attempts: each was counted from its auth line",
  },
  {
    text: "auth: Error: auth client 0 disconnected with 1 pending requests: EOF",
    why: "Postfix gave up waiting; its own warning counted the attempt",
  },
  {
    text: "imap-login: Info: Login: user=<alice@tenant-one.example>, method=PLAIN, rip=fd42:1ab::7, lip=fd42:1ab::1, mpid=1234, TLS, session=<o1xf9XBhbovNQgGrAAAAAAAAAAAAAAAH>",
    why: "a successful login",
  },
];
