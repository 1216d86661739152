import type { BundleFile } from "../../../bundleFile";
import type { HostRenderContext } from "../../../renderContext";
import { postfixSpoolPath, postfixSpoolSockets } from "../mailDaemonWiring";
import { rspamdFile, rspamdOverridePath, withHeader } from "./rspamdFile";

/** Where rspamd's milter listens: inside Postfix's spool, where chrooted smtpd and cleanup reach it. */
export const rspamdMilterSocket = postfixSpoolPath(postfixSpoolSockets.rspamdMilter);

export const rspamdProxyWorkerPath = rspamdOverridePath("worker-proxy.inc");

/**
 * override.d/worker-proxy.inc: one process that speaks milter to Postfix and scans the message
 * itself. override.d, not local.d: it replaces Debian's `localhost:11332` listener and its upstream
 * (a normal worker on localhost:11333) instead of adding to them.
 */
export function renderRspamdProxyWorker(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdProxyWorkerPath, [
    "# The socket's directory (0750 _rspamd:postfix) is the access control: only Postfix reaches",
    "# it, so no local user can talk milter to rspamd and get a message DKIM-signed, and the",
    "# socket itself can be 0666 (Postfix's daemons are not in group _rspamd).",
    `bind_socket = "${rspamdMilterSocket} mode=0666";`,
    "milter = yes;",
    "# Scan inside this process: in 3.4 self_scan is an option of the upstream (a worker-level",
    "# self_scan is silently ignored and the proxy forwards to a normal worker). This replaces",
    '# Debian\'s upstream "local" { hosts = "localhost"; }, so no normal worker is needed.',
    'upstream "local" {',
    "  default = yes;",
    "  self_scan = yes;",
    "}",
    "# One process: a single tenant's mail, and each process holds its own copy of the rules.",
    "count = 1;",
    "timeout = 120s;",
    "# A rejected message is refused in the SMTP dialogue, never silently dropped or held.",
    "discard_on_reject = false;",
    "quarantine_on_reject = false;",
    '# The "add header" action (a DMARC p=quarantine failure, a high score) marks the message.',
    'spam_header = "X-Spam";',
    "# Only for a reject without a text of its own (a content score over the reject threshold);",
    "# rspamd.local.lua gives each of its rejects its own reason.",
    'reject_message = "Message rejected as spam";',
  ]);
}

/** Workers this host does not run; enabled = false removes the packaged section's listener. */
const disabledWorkers: readonly (readonly [string, string])[] = [
  ["worker-normal.inc", "The proxy scans by itself (self_scan): no separate scanner process."],
  ["worker-controller.inc", "No web interface, HTTP API or learning endpoint on this host."],
  ["worker-fuzzy.inc", "No fuzzy hash storage (Debian already gives it count = -1; stated here)."],
];

export function rspamdWorkerFiles(ctx: HostRenderContext): BundleFile[] {
  return [
    rspamdFile(rspamdProxyWorkerPath, renderRspamdProxyWorker(ctx)),
    ...disabledWorkers.map(([name, why]) => {
      const path = rspamdOverridePath(name);
      return rspamdFile(path, withHeader(ctx, path, [`# ${why}`, "enabled = false;"]));
    }),
  ];
}
