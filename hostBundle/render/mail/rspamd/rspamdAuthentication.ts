import type { BundleFile } from "../../../bundleFile";
import type { HostRenderContext } from "../../../renderContext";
import { rspamdFile, rspamdLocalPath, withHeader } from "./rspamdFile";
import { rspamdPolicyLuaPath, rspamdSigningFunction } from "./rspamdPolicyLua";

export const rspamdDkimSigningPath = rspamdLocalPath("dkim_signing.conf");
export const rspamdDmarcPath = rspamdLocalPath("dmarc.conf");
export const rspamdArcPath = rspamdLocalPath("arc.conf");
export const rspamdMilterHeadersPath = rspamdLocalPath("milter_headers.conf");
export const rspamdActionsPath = rspamdLocalPath("actions.conf");

/** local.d/dkim_signing.conf: whether and with which key to sign is decided in rspamd.local.lua. */
export function renderRspamdDkimSigning(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdDkimSigningPath, [
    `# ${rspamdSigningFunction}() in ${rspamdPolicyLuaPath} signs only mail of a SASL login and`,
    "# mail Postfix originates itself (sendmail/pickup, bounces, notices: daemon_name ORIGINATING,",
    "# set on master.cf's cleanup service), and only for the tenant domain. The module's own",
    "# sign_local/sign_networks cannot tell pickup mail from an SMTP client on 127.0.0.1 (Postfix",
    "# reports both as 127.0.0.1), and an unauthenticated client must never get a signature.",
    `sign_condition = "return function(task) return ${rspamdSigningFunction}(task) end";`,
    "# No redis: keys come from files only.",
    "use_redis = false;",
  ]);
}

/** local.d/dmarc.conf: what a failed DMARC check with p=quarantine does; p=reject is the policy file's. */
export function renderRspamdDmarc(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdDmarcPath, [
    '# p=quarantine: the message is delivered marked "X-Spam: Yes" (the proxy\'s spam_header),',
    "# for the mail client's junk filter. p=reject is refused by rspamd.local.lua with a reply",
    '# naming the domain and the reason (the module\'s own text would be "Action set by DMARC").',
    "actions {",
    '  quarantine = "add header";',
    "}",
    "# Aggregate reports need redis to collect the results: off (the default, stated).",
    "reporting {",
    "  enabled = false;",
    "}",
  ]);
}

/** local.d/arc.conf: ARC is verified (its symbols score), never added. */
export function renderRspamdArc(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdArcPath, [
    "# Verify ARC chains only, never seal: sealing needs an ARC key of its own, which this host has not.",
    "sign_authenticated = false;",
    "sign_local = false;",
    "sign_inbound = false;",
    "use_redis = false;",
  ]);
}

/** local.d/milter_headers.conf: the headers rspamd adds to the delivered message. */
export function renderRspamdMilterHeaders(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdMilterHeadersPath, [
    "# Authentication-Results with the SPF, DKIM and DMARC verdicts, and no X-Spam header a sender",
    "# set itself. Defaults kept: skip_local and skip_authenticated, so only mail from other hosts",
    "# (port 25) gets the header, never submitted or locally generated mail.",
    'use = ["authentication-results", "remove-spam-flag"];',
    "routines {",
    "  authentication-results {",
    '    header = "Authentication-Results";',
    "    # 0 removes every Authentication-Results the message already carries, so one forged",
    "    # with this host's authserv-id never reaches a mailbox (RFC 8601 section 5).",
    "    remove = 0;",
    "  }",
    "}",
  ]);
}

/** local.d/actions.conf: Debian's thresholds, without the greylist action. */
export function renderRspamdActions(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdActionsPath, [
    "# No greylist module (it needs redis): without its action a score between the greylist and",
    '# the "add header" threshold is plainly "no action".',
    "greylist = null;",
  ]);
}

export function rspamdAuthenticationFiles(ctx: HostRenderContext): BundleFile[] {
  return [
    rspamdFile(rspamdDkimSigningPath, renderRspamdDkimSigning(ctx)),
    rspamdFile(rspamdDmarcPath, renderRspamdDmarc(ctx)),
    rspamdFile(rspamdArcPath, renderRspamdArc(ctx)),
    rspamdFile(rspamdMilterHeadersPath, renderRspamdMilterHeaders(ctx)),
    rspamdFile(rspamdActionsPath, renderRspamdActions(ctx)),
  ];
}
