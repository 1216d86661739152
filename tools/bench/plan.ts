import { execFileSync } from "node:child_process";
import { evaluatePolicies } from "../policy/evaluate";
import { benchTenantConfigs, planBenchTenants } from "./benchTenants";

/** One size in this process: plan N tenants and print one line. */
async function planTenants(count: number): Promise<void> {
  const configs = benchTenantConfigs(count);
  const started = process.hrtime.bigint();
  const result = await planBenchTenants(configs);
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
