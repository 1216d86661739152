import { formatConfigProblems, type TenantConfig } from "../../../../../tenant/tenantConfig";
import { parseTenantConfig } from "../../../../../tenant/parseTenantConfig";
import { tenantMtaStsPolicy } from "../../../../../tenant/mtaStsPolicy";
import { hostRenderContext, type HostRenderContext } from "../../../../../hostBundle/renderContext";
import { samplePasswordHash, validRawConfig } from "../../../tenant/tenantConfigFixture";

export { samplePasswordHash };

/** A tenant config through the real loader: the example tenant with some keys replaced. */
export function mailTestConfig(overrides: Record<string, unknown> = {}): TenantConfig {
  const result = parseTenantConfig({ ...validRawConfig(), ...overrides });
  if (!result.ok) throw new Error(formatConfigProblems(result.problems));
  return result.config;
}

export function mailTestContext(overrides: Record<string, unknown> = {}): HostRenderContext {
  const config = mailTestConfig(overrides);
  return hostRenderContext(config, "0.1.0-test+0123abcd", tenantMtaStsPolicy(config));
}

export function mailbox(address: string, passwordHash = samplePasswordHash, quotaMegabytes?: number): { address: string; passwordHash: string; quotaMegabytes?: number } {
  return quotaMegabytes === undefined ? { address, passwordHash } : { address, passwordHash, quotaMegabytes };
}
