import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";
import { rateLimitPolicyService } from "./mailDaemonWiring";
import { postfwdRulesPath } from "./postfwdRules";

/** Debian's postfwd.service reads its whole command line from this file. */
export const postfwdDefaultsPath = "/etc/default/postfwd";

/** The file that keeps postfwd's counters across restarts. */
export const postfwdRatesFile = `${hostLayout.postfwdStateDir}/rates`;

/**
 * The socket between postfwd's policy children and its cache process, which holds the counters.
 * Its default is in world-writable /var/tmp, where any local user could take the name first and
 * leave the children without counters: the limit would silently stop counting.
 */
export const postfwdCacheSocket = `${hostLayout.postfwdStateDir}/cache.socket`;

/** /etc/default/postfwd: where postfwd listens, as whom, and with which ruleset. */
export function renderPostfwdDefaults(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, postfwdDefaultsPath),
    "# Read by postfwd.service (systemd). STARTUP only matters to the SysV script.",
    "STARTUP=1",
    `CONF=${postfwdRulesPath}`,
    "# Loopback only: Postfix is its one client.",
    `INET=${rateLimitPolicyService.host}`,
    `PORT=${rateLimitPolicyService.port}`,
    "# Debian's unprivileged postfwd account.",
    'RUNAS="postfw"',
    "# --nodns: the ruleset needs no lookups. --save_rates: a restart does not hand every account a",
    "# fresh hour. --cache_port: the counters' socket in postfwd's own directory, not /var/tmp.",
    `ARGS="--summary=600 --nodns --save_rates=${postfwdRatesFile} --cache_port=${postfwdCacheSocket}"`,
    "",
  ].join("\n");
}
