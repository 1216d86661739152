import { parseCidr } from "../../../baseline/cidr";
import type { TenantConfig } from "../../../tenant/tenantConfig";

/** The addresses allowed to reach SSH, split per family because an nftables set holds one family. */
export interface SshSourceCidrs {
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

/**
 * The tenant's admin and deploy CIDRs in network form (a bare address becomes /32 or /128),
 * each once. The config loader has already rejected anything unparsable or covering everyone;
 * a block that still fails to parse here is a bug worth stopping the rendering for.
 */
export function sshSourceCidrs(config: Pick<TenantConfig, "adminCidrs" | "deployCidrs">): SshSourceCidrs {
  const ipv4 = new Set<string>();
  const ipv6 = new Set<string>();
  for (const text of [...config.adminCidrs, ...config.deployCidrs]) {
    const parsed = parseCidr(text);
    if (!parsed.ok) throw new Error(`SSH source ${JSON.stringify(text)}: ${parsed.error}`);
    if (parsed.cidr.prefixLength === 0) throw new Error(`SSH source ${text} would open SSH to everyone`);
    (parsed.cidr.family === 4 ? ipv4 : ipv6).add(parsed.cidr.network);
  }
  return { ipv4: [...ipv4], ipv6: [...ipv6] };
}
