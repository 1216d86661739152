import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/** The action's name in jail files; fail2ban finds it as action.d/<name>.local. */
export const fail2banBanMailActionName = "penguinmails-ban-mail";
export const fail2banBanMailActionPath = `/etc/fail2ban/action.d/${fail2banBanMailActionName}.local`;

/**
 * A fail2ban action that mails each ban through the local Postfix `sendmail`, with the log lines
 * that caused it. Debian's mail-whois actions would run `whois`, which needs outbound port 43
 * (closed here) and the `mail` command (not installed); their start/stop mails would also send
 * one message per jail on every fail2ban restart.
 */
export function renderFail2banBanMailAction(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, fail2banBanMailActionPath),
    "[INCLUDES]",
    "# sendmail-common provides <mailcmd> (/usr/sbin/sendmail -f <sender> <dest>) and <sendername>.",
    "before = sendmail-common.conf",
    "",
    "[Definition]",
    "# Quiet starts and stops: only bans are news.",
    "actionstart =",
    "actionstop =",
    "# Bans restored from fail2ban's database after a restart were mailed when they happened.",
    "norestored = 1",
    "# <matches> is attacker-controlled text: fail2ban passes it as a shell variable, printed with %s",
    "# (never %b) so nothing in it is interpreted.",
    "# Header lines end at the blank line after To:; continuation lines join with newlines.",
    'actionban = ( printf %%b "Subject: [Fail2Ban] <name>: banned <ip> on <fq-hostname>',
    '            Date: `LC_ALL=C date +"%%a, %%d %%h %%Y %%T %%z"`',
    "            From: <sendername> <<sender>>",
    "            To: <dest>\\n",
    "            fail2ban banned <ip> for <bantime> seconds after <failures> failures in jail <name>.\\n",
    '            Matching log lines:\\n";',
    "            printf '%%s\\n' \"<matches>\" ) | <mailcmd>",
    "actionunban =",
    "",
    "[Init]",
    "# Overridden per jail with the tenant's alert address and sender.",
    "dest = root",
    "",
  ].join("\n");
}
