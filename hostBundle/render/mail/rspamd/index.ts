import type { BundleFile } from "../../../bundleFile";
import type { HostRenderContext } from "../../../renderContext";
import { rspamdAuthenticationFiles } from "./rspamdAuthentication";
import { rspamdDisabledModuleFiles } from "./rspamdDisabledModules";
import { rspamdLocalMapFiles } from "./rspamdLocalMaps";
import { rspamdOptionFiles } from "./rspamdOptions";
import { rspamdPolicyFiles } from "./rspamdPolicyLua";
import { rspamdTenantMapFiles } from "./rspamdTenantMaps";
import { rspamdWorkerFiles } from "./rspamdWorkers";

export { dkimKeyFile } from "./rspamdTenantMaps";
export { rspamdMilterSocket } from "./rspamdWorkers";

/**
 * rspamd as Postfix's one milter: it verifies SPF, DKIM and DMARC on inbound mail and adds
 * Authentication-Results, refuses spoofs of the tenant domain and DMARC p=reject failures, checks
 * the header From of submissions against the SASL login, and DKIM-signs authenticated and
 * Postfix-originated mail. One proxy process (plus rspamd's main and hs_helper), no redis, nothing
 * fetched over the network. The DKIM keys are not here: the bundle builder adds them with dkimKeyFile.
 */
export function renderRspamdFiles(ctx: HostRenderContext): BundleFile[] {
  return [
    ...rspamdOptionFiles(ctx),
    ...rspamdWorkerFiles(ctx),
    ...rspamdAuthenticationFiles(ctx),
    ...rspamdDisabledModuleFiles(ctx),
    ...rspamdLocalMapFiles(ctx),
    ...rspamdTenantMapFiles(ctx),
    ...rspamdPolicyFiles(ctx),
  ];
}
