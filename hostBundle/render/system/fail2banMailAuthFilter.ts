import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/** The filter's name in jail files; fail2ban finds it as filter.d/<name>.local. */
export const fail2banMailAuthFilterName = "penguinmails-mail-auth";
export const fail2banMailAuthFilterPath = `/etc/fail2ban/filter.d/${fail2banMailAuthFilterName}.local`;

/**
 * Postfix's one warning per failed AUTH command, from maillog_file (postlogd: "<date> <host>
 * postfix/<service>/smtpd[pid]: warning: <name>[<address>]: SASL <MECH> authentication failed: <reason>").
 */
const postfixSaslFailure =
  String.raw`^\s*\S+ postfix(?:-[^/\s]+)?/[^\s\[]+\[\d+\]: warning: [^\s\[]*\[<HOST>\]: SASL [A-Za-z0-9_-]+ authentication failed: (?!Invalid authentication mechanism)`;

/**
 * Dovecot's auth_verbose line for one failed password check of a login process
 * ("auth: Info: <passdb or mech>(<user>,<address>,<session>): <reason>"); the reasons are the
 * ones a client's guess produces (auth-worker's prefix appears when a passdb runs in a worker).
 */
const dovecotLoginAuthFailure =
  String.raw`^\s*auth(?:-worker\(\d+\))?: Info: [a-z0-9_-]+\([^,()\s]*,<HOST>,<[^<>\s]+>\): (?:unknown user|Password mismatch|Username character disallowed by auth_username_chars|Empty username|invalid input|Invalid base64 data in (?:initial|continued) response)`;

/** The failregex lines, in file order (tests run them against real log lines). */
export const fail2banMailAuthFailRegexes: readonly string[] = [postfixSaslFailure, dovecotLoginAuthFailure];

/**
 * /etc/fail2ban/filter.d/penguinmails-mail-auth.local: exactly one match per failed mailbox
 * password check, SMTP AUTH (587, 465) and IMAP (993) alike, each from the one log that sees it.
 * The packaged filters miss or double count: postfix[mode=auth] skips the AUTH that Dovecot's auth
 * penalty delays past Postfix's fixed 10 s wait for its SASL server, and dovecot counts IMAP per
 * connection, not per attempt (and, with auth_verbose, SMTP AUTH a second time).
 */
export function renderFail2banMailAuthFilter(ctx: HostRenderContext): string {
  const [postfix, dovecot] = fail2banMailAuthFailRegexes;
  return [
    renderFileHeader(ctx, fail2banMailAuthFilterPath),
    "# One match per failed mailbox authentication, from whichever log sees it (the mail-auth jail reads both):",
    "# - SMTP AUTH (587, 465): Postfix's maillog_file. Postfix writes one warning per failed AUTH",
    "#   command, also when Dovecot's auth penalty held the answer past Postfix's fixed 10 s wait for",
    "#   its SASL server (\"Connection lost to authentication server\"): Dovecot never logs the client's",
    "#   address for that attempt. Unknown mechanisms never reach Dovecot and do not count.",
    "# - IMAP (993): Dovecot's log_path with auth_verbose = yes, one line per failed request. Only",
    "#   requests with a login session id (\",<...>)\") count: imap-login sends one, Postfix's SASL client",
    "#   does not, so the SMTP AUTH attempts counted above never count twice. imap-login's",
    "#   \"Disconnected ... (auth failed, N attempts)\" is one line per connection, so it is not matched.",
    "# Self-contained: the regexes use none of common.conf's shared prefixes, so it is not included.",
    "[Definition]",
    `failregex = ${postfix}`,
    `            ${dovecot}`,
    "ignoreregex =",
    "# Both logs start each line with their own timestamp (\"Nov 29 21:14:50\").",
    "datepattern = {^LN-BEG}",
    "",
  ].join("\n");
}
