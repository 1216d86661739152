import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseTenantConfig } from "../../tenant/parseTenantConfig";
import { configNamespace } from "../../tenant/tenantConfig";
import { TenantMailServer } from "../../components/tenantMailServer";
import { tenantResourcePrefix } from "../../tenant/names";
import { runProgramWithMocks } from "../mockRuntime/runProgram";
import { evaluatePolicies } from "../policy/evaluate";
import { namespaceConfig, readStackConfig } from "../mockRuntime/stackConfig";

const projectDir = resolve(__dirname, "../..");

/** The dev stack's tenant, repeated under distinct domains. */
function tenantConfigs(count: number) {
  const raw = namespaceConfig(readStackConfig(projectDir, "dev"), configNamespace);
  return Array.from({ length: count }, (_, i) => {
    const result = parseTenantConfig({ ...raw, domain: `tenant-${i + 1}.example` });
    if (!result.ok) throw new Error(result.problems.map((p) => `${p.key}: ${p.message}`).join("\n"));
    return result.config;
  });
}

/** One size in this process: plan N tenants and print one line. */
async function planTenants(count: number): Promise<void> {
  const configs = tenantConfigs(count);
  const started = process.hrtime.bigint();
  const result = await runProgramWithMocks({
    programDir: projectDir,
    stack: "dev",
    program: () => {
      const secrets = { acmeDnsApiToken: pulumi.secret("bench-dns-token") };
      for (const config of configs) new TenantMailServer(tenantResourcePrefix(config.domain), { config, secrets });
    },
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const report = await evaluatePolicies(result.resources);
  const resources = result.resources.length;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    `tenants=${count} resources=${resources} wall_ms=${Math.round(wallMs)} ms_per_resource=${(wallMs / resources).toFixed(2)} ` +
      `peak_rss_mb=${Math.round(peakRssMb)} policy_ms=${Math.round(report.elapsedMs)}`,
  );
}

const size = process.argv[2];
if (size) {
  planTenants(Number(size)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  // Each size runs in a fresh process so its peak memory is its own. A larger young generation
  // halves the garbage collector's share: a plan allocates many short-lived promises per resource.
  for (const count of [1, 10, 100]) {
    execFileSync(process.execPath, ["--max-semi-space-size=64", ...process.execArgv, __filename, String(count)], { stdio: "inherit" });
  }
}
