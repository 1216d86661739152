import type { BundleFile } from "../../../bundleFile";
import { hostLayout } from "../../../hostLayout";
import type { HostRenderContext } from "../../../renderContext";
import { localResolver } from "../mailDaemonWiring";
import { rspamdFile, rspamdLocalPath, withHeader } from "./rspamdFile";

export const rspamdOptionsPath = rspamdLocalPath("options.inc");
export const rspamdLoggingPath = rspamdLocalPath("logging.inc");
export const rspamdTopOverridePath = `${hostLayout.rspamdConfigDir}/rspamd.conf.override`;

/** local.d/options.inc: the resolver, which addresses count as local, and no state files we do not use. */
export function renderRspamdOptions(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdOptionsPath, [
    "# Every SPF, DKIM and DMARC lookup goes to the local validating resolver (unbound), never",
    "# to a public one: a test network can answer for its own zones without changing this file.",
    "dns {",
    `  nameserver = ["${localResolver.host}:${localResolver.port}"];`,
    "  timeout = 2s;",
    "  retransmits = 2;",
    "}",
    "# Only loopback is local (SPF and DMARC are skipped and no Authentication-Results is added",
    "# for it). Debian's default also trusts the private ranges, which on a cloud host are the",
    "# provider's shared network: those clients are checked like any other.",
    'local_addrs = ["127.0.0.0/8", "::1"];',
    "# The C modules without fuzzy_check, which asks rspamd.com's fuzzy servers over the network.",
    'filters = "chartable,dkim,regexp";',
    "# No controller, so nobody reads the scan history, the statistics or the symbol timings:",
    "# null (not an empty name) turns each off. A fresh host has no stats file, and loading one",
    '# that is missing logs an [error] on every start; rspamd 3.4 cannot create the symbol cache',
    "# file (it opens it without O_CREAT) and logs an [error] on every reload and stop.",
    "history_file = null;",
    "stats_file = null;",
    "cache_file = null;",
  ]);
}

/** local.d/logging.inc: merged into Debian's logging section (a file in /var/log/rspamd). */
export function renderRspamdLogging(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdLoggingPath, [
    "# Warnings, errors and one line per message; info would add about ten lines per message.",
    'level = "notice";',
    "# Every line names its severity ([warn], [error], [crit]): what the apply script looks for",
    "# after a restart.",
    "log_severity = true;",
    '# No "regexp statistics" line per message.',
    "log_re_cache = false;",
  ]);
}

/**
 * rspamd.conf.override (top level, priority 10). rspamd 3.4 has no switch to turn a classifier
 * off, and its Bayes classifier needs redis, which this host does not run: an empty classifier
 * section replaces Debian's `classifier "bayes"` (statistic.conf).
 */
export function renderRspamdTopOverride(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdTopOverridePath, [
    "# No Bayes: its only backend would be redis. Replaces statistic.conf's classifier section.",
    "classifier {}",
  ]);
}

export function rspamdOptionFiles(ctx: HostRenderContext): BundleFile[] {
  return [
    rspamdFile(rspamdOptionsPath, renderRspamdOptions(ctx)),
    rspamdFile(rspamdLoggingPath, renderRspamdLogging(ctx)),
    rspamdFile(rspamdTopOverridePath, renderRspamdTopOverride(ctx)),
  ];
}
