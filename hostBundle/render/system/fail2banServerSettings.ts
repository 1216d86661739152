import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

export const fail2banServerSettingsPath = "/etc/fail2ban/fail2ban.d/penguinmails.local";

/**
 * /etc/fail2ban/fail2ban.d/penguinmails.local: the server settings the jails depend on, stated
 * here rather than assumed from Debian's fail2ban.conf.
 */
export function renderFail2banServerSettings(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, fail2banServerSettingsPath),
    "[Definition]",
    "# The recidive jail reads fail2ban's own Ban lines from this file.",
    `logtarget = ${hostLayout.fail2banLog}`,
    "# Debian's fail2ban.conf leaves this unset, and fail2ban warns on every start; auto bans IPv6",
    "# addresses whenever the host has IPv6.",
    "allowipv6 = auto",
    "",
  ].join("\n");
}
