/**
 * Is the in-process policy runner (tools/policy/evaluate.ts) clearly faster than @pulumi/policy's
 * own analyzer, as `pulumi preview --policy-pack policies` runs it? Plans N tenants (default 100)
 * as tools/bench/plan.ts does, then times evaluatePolicies against the engine's side of the gRPC
 * conversation with run-policy-pack: one `analyze` per resource, then one `analyzeStack`. Prints
 * the median of 3 runs after a warm-up, and whether both paths report the same diagnostics.
 *
 *   node --max-semi-space-size=64 --require tsx/cjs tools/bench/policyRunner.ts [tenants]
 */
import { mailSecurityPolicies } from "../../policies/pack";
import type { CapturedResource } from "../mockRuntime/capture";
import { evaluatePolicies } from "../policy/evaluate";
import { analyzeRequest, analyzeStackRequest, startSdkAnalyzer, type DiagnosticRow, type SdkAnalyzer } from "../policy/sdkAnalyzer";
import { benchTenantConfigs, planBenchTenants, projectDir } from "./benchTenants";

const measuredRuns = 3;
const concurrency = 16;

/** One `analyze` per resource, at most `limit` in flight, then `analyzeStack`; times both parts. */
async function grpcPass(analyzer: SdkAnalyzer, requests: { analyze: unknown[]; stack: unknown }, limit: number) {
  const started = process.hrtime.bigint();
  const perResource: DiagnosticRow[][] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.analyze.length) {
      const i = next++;
      perResource[i] = await analyzer.analyze(requests.analyze[i]);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  const analyzed = process.hrtime.bigint();
  const stackRows = await analyzer.analyzeStack(requests.stack);
  const done = process.hrtime.bigint();
  return { rows: [...perResource.flat(), ...stackRows], ms: Number(done - started) / 1e6, stackMs: Number(done - analyzed) / 1e6 };
}

async function inProcessPass(resources: readonly CapturedResource[]) {
  const started = process.hrtime.bigint();
  const report = await evaluatePolicies(resources);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { rows: report.diagnostics.map((d): DiagnosticRow => [d.policyName, d.enforcementLevel, d.message]), ms };
}

/** Rows one side has more often than the other; empty when the multisets are equal. */
function multisetDifference(left: readonly DiagnosticRow[], right: readonly DiagnosticRow[]): string[] {
  const counts = new Map<string, number>();
  const add = (row: DiagnosticRow, n: number) => counts.set(JSON.stringify(row), (counts.get(JSON.stringify(row)) ?? 0) + n);
  for (const row of left) add(row, 1);
  for (const row of right) add(row, -1);
  return [...counts].filter(([, n]) => n !== 0).map(([row, n]) => `${n > 0 ? "in-process" : "grpc"} +${Math.abs(n)}: ${row}`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(tenants: number): Promise<void> {
  const { resources } = await planBenchTenants(benchTenantConfigs(tenants));
  const analyzer = await startSdkAnalyzer(projectDir);
  try {
    await analyzer.configure(mailSecurityPolicies);

    // Built once and left out of the timings: the engine builds them in Go, not the analyzer.
    const buildStarted = process.hrtime.bigint();
    const requests = { analyze: resources.map(analyzeRequest), stack: analyzeStackRequest(resources) };
    const buildMs = Number(process.hrtime.bigint() - buildStarted) / 1e6;

    const times = { inProcess: [] as number[], sequential: [] as number[], concurrent: [] as number[], stack: [] as number[] };
    const differences = new Set<string>();
    let diagnostics = 0;
    // Run 0 warms up both sides (JIT, the server's lazily loaded modules) and is not timed.
    for (let run = 0; run <= measuredRuns; run++) {
      const local = await inProcessPass(resources);
      const sequential = await grpcPass(analyzer, requests, 1);
      const concurrent = await grpcPass(analyzer, requests, concurrency);
      diagnostics = local.rows.length;
      for (const grpcRun of [sequential, concurrent]) for (const d of multisetDifference(local.rows, grpcRun.rows)) differences.add(d);
      if (run === 0) continue;
      times.inProcess.push(local.ms);
      times.sequential.push(sequential.ms);
      times.concurrent.push(concurrent.ms);
      times.stack.push(sequential.stackMs);
    }

    console.log(
      differences.size === 0
        ? `diagnostics match: both paths report the same ${diagnostics} diagnostics`
        : `diagnostics DIFFER (${differences.size} rows):\n  ${[...differences].slice(0, 20).join("\n  ")}`,
    );
    const ms = (values: number[]) => Math.round(median(values));
    // Against the faster gRPC mode, so "clearly faster" is not won against a handicapped path.
    const speedup = Math.min(median(times.sequential), median(times.concurrent)) / median(times.inProcess);
    console.log(
      `tenants=${tenants} resources=${resources.length} inprocess_ms=${ms(times.inProcess)} grpc_startup_ms=${Math.round(analyzer.startupMs)} ` +
        `grpc_sequential_ms=${ms(times.sequential)} grpc_concurrent${concurrency}_ms=${ms(times.concurrent)} ` +
        `grpc_analyze_stack_ms=${ms(times.stack)} grpc_build_requests_ms=${Math.round(buildMs)} speedup=${speedup.toFixed(1)}x diagnostics_match=${differences.size === 0} ` +
        `peak_rss_mb=${Math.round(process.resourceUsage().maxRSS / 1024)} grpc_server_peak_rss_mb=${analyzer.peakRssMb()}`,
    );
  } finally {
    analyzer.close();
  }
}

const tenants = Number(process.argv[2] ?? 100);
if (!Number.isInteger(tenants) || tenants < 1) {
  console.error(`usage: policyRunner.ts [tenants], a positive integer (got ${process.argv[2]})`);
  process.exit(1);
}
main(tenants).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
