import type { BundleFile } from "../../../bundleFile";
import type { HostRenderContext } from "../../../renderContext";
import { rspamdFile, rspamdLocalPath, rspamdOverridePath, withHeader } from "./rspamdFile";

/**
 * Debian's module configs that download their lists from maps.rspamd.com, replaced (override.d)
 * by the same rules reading local files: the packaged lists in /etc/rspamd/maps.d, or the short
 * lists below. rspamd fetches nothing over the network, and no failed download is ever logged.
 */
export const rspamdStaticMaps = {
  freemail: {
    path: rspamdLocalPath("maps/freemail.map"),
    heading: "Free mail providers' domains: FREEMAIL_* symbols, which Debian's composites combine with others.",
    entries: ["gmail.com", "googlemail.com", "yahoo.com", "outlook.com", "hotmail.com", "live.com", "aol.com", "icloud.com", "gmx.de", "gmx.net", "web.de", "mail.ru", "yandex.ru"],
  },
  disposable: {
    path: rspamdLocalPath("maps/disposable.map"),
    heading: "Throwaway address providers' domains: DISPOSABLE_* symbols.",
    entries: ["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com", "trashmail.com"],
  },
  spfWhitelist: {
    path: rspamdLocalPath("maps/spf_whitelist.map"),
    heading: "Domains whose SPF pass earns WHITELIST_SPF (-1). None: the packaged rule names files Debian does not ship.",
    entries: [],
  },
  dkimWhitelist: {
    path: rspamdLocalPath("maps/dkim_whitelist.map"),
    heading: "Domains whose valid DKIM signature earns WHITELIST_DKIM (-1). None, as for SPF.",
    entries: [],
  },
} as const;

export const rspamdMultimapPath = rspamdOverridePath("multimap.conf");
export const rspamdWhitelistPath = rspamdOverridePath("whitelist.conf");
export const rspamdPhishingPath = rspamdOverridePath("phishing.conf");
export const rspamdMidPath = rspamdOverridePath("mid.conf");
export const rspamdMimeTypesPath = rspamdOverridePath("mime_types.conf");

/** Where each multimap rule looks, as modules.d/multimap.conf defines them. */
const multimapSources = [
  { key: "envfrom", symbol: "ENVFROM", rule: ['type = "from";'], what: "Envelope From" },
  { key: "envrcpt", symbol: "ENVRCPT", rule: ['type = "rcpt";'], what: "Envelope Recipient" },
  { key: "from", symbol: "FROM", rule: ['type = "header";', 'header = "from";'], what: "From" },
  { key: "to", symbol: "TO", rule: ['type = "header";', 'header = "To";'], what: "To" },
  { key: "cc", symbol: "CC", rule: ['type = "header";', 'header = "Cc";'], what: "Cc" },
  { key: "replyto", symbol: "REPLYTO", rule: ['type = "header";', 'header = "Reply-To";'], what: "Reply-To" },
] as const;

/** override.d/multimap.conf: Debian's twelve FREEMAIL_/DISPOSABLE_ rules, on the local lists. */
export function renderRspamdMultimap(ctx: HostRenderContext): string {
  const lists = [
    { name: "freemail", symbol: "FREEMAIL", map: rspamdStaticMaps.freemail.path, what: "a free mail" },
    { name: "disposable", symbol: "DISPOSABLE", map: rspamdStaticMaps.disposable.path, what: "a disposable" },
  ];
  return withHeader(ctx, rspamdMultimapPath, [
    "# Replaces modules.d/multimap.conf's rules, which download both lists from maps.rspamd.com;",
    "# the symbols stay, because Debian's composites and rules/misc.lua use them.",
    ...lists.flatMap((list) => multimapSources.flatMap((source) => [
      `${list.name}_${source.key} {`,
      ...source.rule.map((line) => `  ${line}`),
      '  filter = "email:domain";',
      `  map = "${list.map}";`,
      `  symbol = "${list.symbol}_${source.symbol}";`,
      `  description = "${source.what} is ${list.what} address";`,
      "  score = 0.0;",
      "}",
    ])),
  ]);
}

/** override.d/whitelist.conf: Debian's four rules with their downloads dropped. */
export function renderRspamdWhitelist(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdWhitelistPath, [
    "# Replaces modules.d/whitelist.conf's rules: the same symbols and scores, reading only the",
    "# lists Debian ships in /etc/rspamd/maps.d and two empty local ones (no maps.rspamd.com).",
    "rules {",
    '  "WHITELIST_SPF" = {',
    "    valid_spf = true;",
    `    domains = "${rspamdStaticMaps.spfWhitelist.path}";`,
    "    score = -1.0;",
    '    inverse_symbol = "BLACKLIST_SPF";',
    "  }",
    '  "WHITELIST_DKIM" = {',
    "    valid_dkim = true;",
    `    domains = "${rspamdStaticMaps.dkimWhitelist.path}";`,
    "    score = -1.0;",
    '    inverse_symbol = "BLACKLIST_DKIM";',
    "  }",
    '  "WHITELIST_SPF_DKIM" = {',
    "    valid_spf = true;",
    "    valid_dkim = true;",
    '    domains = "${CONFDIR}/maps.d/spf_dkim_whitelist.inc";',
    "    score = -3.0;",
    '    inverse_symbol = "BLACKLIST_SPF_DKIM";',
    "  }",
    '  "WHITELIST_DMARC" = {',
    "    valid_dmarc = true;",
    '    domains = "${CONFDIR}/maps.d/dmarc_whitelist.inc";',
    "    score = -7.0;",
    '    inverse_symbol = "BLACKLIST_DMARC";',
    "  }",
    "}",
  ]);
}

/** override.d/phishing.conf: the phishing checks without the phishtank and openphish feeds. */
export function renderRspamdPhishing(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdPhishingPath, [
    "# Both feeds are network lookups (phishtank over DNS, openphish as a download).",
    "phishtank_enabled = false;",
    "openphish_enabled = false;",
    "# Debian's redirector list from the package, instead of the copy on maps.rspamd.com.",
    "exceptions {",
    '  REDIRECTOR_FALSE = "${CONFDIR}/maps.d/redirectors.inc";',
    "}",
  ]);
}

/** override.d/mid.conf: the Message-ID rules' list from the package only. */
export function renderRspamdMid(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdMidPath, [
    "# The packaged list instead of maps.rspamd.com's.",
    "source {",
    '  url = "${CONFDIR}/maps.d/mid.inc";',
    "}",
  ]);
}

/** override.d/mime_types.conf: the attachment type list from the package only. */
export function renderRspamdMimeTypes(ctx: HostRenderContext): string {
  return withHeader(ctx, rspamdMimeTypesPath, [
    "# The packaged list instead of maps.rspamd.com's.",
    'file = "${CONFDIR}/maps.d/mime_types.inc";',
  ]);
}

export function rspamdLocalMapFiles(ctx: HostRenderContext): BundleFile[] {
  return [
    rspamdFile(rspamdMultimapPath, renderRspamdMultimap(ctx)),
    rspamdFile(rspamdWhitelistPath, renderRspamdWhitelist(ctx)),
    rspamdFile(rspamdPhishingPath, renderRspamdPhishing(ctx)),
    rspamdFile(rspamdMidPath, renderRspamdMid(ctx)),
    rspamdFile(rspamdMimeTypesPath, renderRspamdMimeTypes(ctx)),
    ...Object.values(rspamdStaticMaps).map((map) =>
      rspamdFile(map.path, withHeader(ctx, map.path, [`# ${map.heading}`, "# One domain per line.", ...map.entries]))),
  ];
}
