import { formatConfigProblems, type TenantConfig } from "../../../../../tenant/tenantConfig";
import { parseTenantConfig } from "../../../../../tenant/parseTenantConfig";
import { tenantMtaStsPolicy } from "../../../../../tenant/mtaStsPolicy";
import { hostRenderContext, type HostRenderContext } from "../../../../../hostBundle/renderContext";
import { validRawConfig } from "../../../tenant/tenantConfigFixture";

/** A tenant config through the real loader: the example tenant with some keys replaced. */
export function systemTestConfig(overrides: Record<string, unknown> = {}): TenantConfig {
  const result = parseTenantConfig({ ...validRawConfig(), ...overrides });
  if (!result.ok) throw new Error(formatConfigProblems(result.problems));
  return result.config;
}

export function systemTestContext(overrides: Record<string, unknown> = {}): HostRenderContext {
  const config = systemTestConfig(overrides);
  return hostRenderContext(config, "0.1.0-test+0123abcd", tenantMtaStsPolicy(config));
}
