import { loadTenantConfig } from "./loadTenantConfig";
import { TenantMailServer } from "./tenantMailServer";
import { tenantResourcePrefix } from "../tenant/names";

/** The stack program: one tenant per stack, its outputs plain except for what is secret. */
export async function tenantStackProgram() {
  const { config, secrets } = loadTenantConfig();
  const server = new TenantMailServer(tenantResourcePrefix(config.domain), { config, secrets });
  return {
    domain: config.domain,
    mailHostname: server.mailHostname,
    ipv4Address: server.ipv4Address,
    ipv6Address: server.ipv6Address,
    dkimSelectors: server.dkimSelectors,
    activeDkimSelector: server.activeDkimSelector,
    mtaStsPolicyId: server.mtaStsPolicyId,
    dnsRecords: server.dnsRecords,
    certificateNotAfter: server.certificateNotAfter,
    dnssecDsRecord: server.dnssecDsRecord,
    dnssecNotice: server.dnssecNotice,
    acmeAccountUri: server.acmeAccountUri,
    hostKeyFingerprint: server.hostKeyFingerprint,
    hostBundleHash: server.hostBundleHash,
  };
}
