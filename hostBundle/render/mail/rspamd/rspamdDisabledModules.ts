import type { BundleFile } from "../../../bundleFile";
import type { HostRenderContext } from "../../../renderContext";
import { rspamdFile, rspamdLocalPath, withHeader } from "./rspamdFile";

/**
 * Debian's rspamd modules this host turns off, each with the reason. The host runs no redis and
 * lets rspamd talk to nothing but the local resolver and Postfix: a module that needs redis, an
 * outside service or a daemon that is not installed would log an error on every start or on
 * every message, or send the tenant's mail data somewhere.
 */
export const rspamdDisabledModules: Readonly<Record<string, string>> = {
  antivirus: "needs a virus scanner daemon (ClamAV), which this host does not run",
  asn: "looks the client's AS up in rspamd.com's DNS zone",
  bayes_expiry: "expires Bayes tokens in redis; there is no Bayes (rspamd.conf.override)",
  bimi: "fetches BIMI records and logos over HTTPS and caches them in redis",
  clickhouse: "exports every scan to a ClickHouse server",
  dcc: "asks a DCC server (a checksum network)",
  dynamic_conf: "keeps runtime configuration in redis",
  elastic: "exports every scan to Elasticsearch",
  emails: "looks every address in the message up in DNS blocklists",
  external_services: "sends messages to external scanners (Razor, Pyzor, VadeSecure and others)",
  fuzzy_check: "sends message hashes to rspamd.com's fuzzy servers",
  greylist: "keeps its triplets in redis",
  history_redis: "keeps the scan history in redis",
  metadata_exporter: "pushes message metadata to outside services",
  metric_exporter: "pushes metrics to a Graphite server",
  mx_check: "connects to the sender domain's MX hosts and caches the result in redis",
  neural: "trains and stores its networks in redis",
  p0f: "needs a p0f daemon and redis",
  ratelimit: "keeps its buckets in redis (postfwd limits the submission accounts)",
  rbl: "queries DNS blocklists, and the big ones refuse cloud providers' resolvers with answers that read as listings",
  replies: "remembers sent messages' ids in redis",
  reputation: "keeps reputation scores in redis",
  rspamd_update: "downloads rule updates from rspamd.com",
  spamassassin: "no SpamAssassin rules are installed",
  spamtrap: "needs redis and spam trap addresses",
  url_redirector: "follows shortened URLs over HTTP and caches them in redis",
};

export function rspamdDisabledModuleFiles(ctx: HostRenderContext): BundleFile[] {
  return Object.entries(rspamdDisabledModules).map(([module, why]) => {
    const path = rspamdLocalPath(`${module}.conf`);
    return rspamdFile(path, withHeader(ctx, path, [`# Off: ${why}.`, "enabled = false;"]));
  });
}
