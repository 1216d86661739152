import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/** The action's name in jail files; fail2ban finds it as action.d/<name>.local. */
export const fail2banBanMailActionName = "penguinmails-ban-mail";
export const fail2banBanMailActionPath = `/etc/fail2ban/action.d/${fail2banBanMailActionName}.local`;

/**
 * Why `value` cannot be the action's <dest> or <sender>, or undefined when it can. fail2ban pastes
 * these static values into the shell command as raw text, where the action single-quotes them: a
 * single quote would end the quoting. A double quote or backslash would end the jail's
 * `action[dest="..."]` option early, `%` starts fail2ban's own interpolation, and whitespace or a
 * control character would split the value or the INI line. Everything else (` $ ( ) ; | included)
 * stays literal inside the single quotes. The tenant config's address grammar is far stricter;
 * this holds even if a value ever bypasses it.
 */
export function fail2banActionValueProblem(value: string): string | undefined {
  if (value.length === 0) return "is empty";
  if (!/^[\x21-\x7e]+$/.test(value)) return "has whitespace, a control character or a non-ASCII character";
  const special = [...new Set(value.match(/['"\\%]/g) ?? [])];
  if (special.length > 0) return `has ${special.map((c) => JSON.stringify(c)).join(", ")}, which the ban action cannot quote`;
  return undefined;
}

/**
 * A fail2ban action that mails each ban through the local Postfix `sendmail`, with the log lines
 * that caused it. Debian's mail-whois actions would run `whois`, which needs outbound port 43
 * (closed here) and the `mail` command (not installed); their start/stop mails would also send
 * one message per jail on every fail2ban restart. Debian's sendmail-common.conf is not included:
 * its <mailcmd> puts <sender> and <dest> into the shell command unquoted (in double quotes at best),
 * so a backtick or `$(` in either would run as root on every ban.
 */
export function renderFail2banBanMailAction(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, fail2banBanMailActionPath),
    "# No sendmail-common.conf: its <mailcmd> and start/stop texts put <sender> and <dest> into the",
    "# shell command unquoted.",
    "[Definition]",
    "# Quiet starts and stops: only bans are news.",
    "actionstart =",
    "actionstop =",
    "# Bans restored from fail2ban's database after a restart were mailed when they happened.",
    "norestored = 1",
    "# fail2ban pastes static tags (<name>, <fq-hostname>, <dest>, <sender>) into this shell script as",
    "# raw text, so they are single-quoted (` $ ; ( ) | inside stay literal; the renderer refuses a",
    "# value with a single quote). Ticket values (<ip>, <bantime>, <failures>, <matches>) become",
    "# \"$f2bV_...\" shell variables when they hold shell metacharacters, so they stay in double quotes.",
    "# No value is ever part of printf's format: each is a %%s argument. <dest> follows \"--\" and",
    "# <sender> is -f's argument, so neither can pass as a sendmail option.",
    "actionban = { printf 'Subject: [Fail2Ban] %%s: banned %%s on %%s\\nDate: %%s\\nFrom: Fail2Ban <%%s>\\nTo: <%%s>\\n\\n' '<name>' \"<ip>\" '<fq-hostname>' \"$(LC_ALL=C date '+%%a, %%d %%h %%Y %%T %%z')\" '<sender>' '<dest>'",
    "              printf 'fail2ban banned %%s for %%s seconds after %%s failures in jail %%s.\\n\\nMatching log lines:\\n%%s\\n' \"<ip>\" \"<bantime>\" \"<failures>\" '<name>' \"<matches>\"; } | /usr/sbin/sendmail -i -f '<sender>' -- '<dest>'",
    "actionunban =",
    "",
    "[Init]",
    "# Overridden per jail with the tenant's alert address and sender.",
    "dest = root",
    "sender = root",
    "",
  ].join("\n");
}
