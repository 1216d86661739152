import { renderMtaStsPolicy } from "../baseline/dns/mtaSts";
import type { TenantConfig } from "./tenantConfig";
import { mailHostname } from "./names";

/** The policy file nginx serves and whose hash becomes the `_mta-sts` id: one text, two consumers. */
export function tenantMtaStsPolicy(config: Pick<TenantConfig, "domain" | "mtaSts">): string {
  return renderMtaStsPolicy({
    mode: config.mtaSts.mode,
    mx: [mailHostname(config.domain)],
    maxAgeSeconds: config.mtaSts.maxAgeSeconds,
  });
}
