import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { TenantMailServer } from "../../components/tenantMailServer";
import { tenantResourcePrefix } from "../../tenant/names";
import { parseTenantConfig } from "../../tenant/parseTenantConfig";
import { configNamespace, type TenantConfig } from "../../tenant/tenantConfig";
import { runProgramWithMocks, type MockRunResult } from "../mockRuntime/runProgram";
import { namespaceConfig, readStackConfig } from "../mockRuntime/stackConfig";

export const projectDir = resolve(__dirname, "../..");

/** The dev stack's tenant, repeated under distinct domains (every in-domain address moved along). */
export function benchTenantConfigs(count: number): TenantConfig[] {
  const raw = JSON.stringify(namespaceConfig(readStackConfig(projectDir, "dev"), configNamespace));
  const devDomain = JSON.parse(raw).domain as string;
  return Array.from({ length: count }, (_, i) => {
    const result = parseTenantConfig(JSON.parse(raw.split(devDomain).join(`tenant-${i + 1}.example`)) as Record<string, unknown>);
    if (!result.ok) throw new Error(result.problems.map((p) => `${p.key}: ${p.message}`).join("\n"));
    return result.config;
  });
}

/** N tenants in one program under the mock runtime, every resource captured. */
export function planBenchTenants(configs: readonly TenantConfig[]): Promise<MockRunResult> {
  return runProgramWithMocks({
    programDir: projectDir,
    stack: "dev",
    program: () => {
      const secrets = { acmeDnsApiToken: pulumi.secret("bench-dns-token") };
      for (const config of configs) new TenantMailServer(tenantResourcePrefix(config.domain), { config, secrets });
    },
  });
}
