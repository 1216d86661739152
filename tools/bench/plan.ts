/**
 * `npm run bench:plan`: how the offline plan scales and starts.
 *
 * - tenants=N: N tenants in one program (the resource count a big stack reaches), per-resource cost.
 * - plan_all: `npm run plan -- --all` over N generated stacks, as its own process: wall time and
 *   peak memory (targets for 1000 stacks: under 3 minutes, under 2 GB); 100 and 1000 stacks show
 *   that memory does not grow with the number of stacks.
 * - plan_process: one stack's whole `npm run plan` process against the floor of importing the SDK
 *   and the four providers alone, median of 5 runs taken side by side (target: within twice the floor).
 */

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { evaluatePolicies } from "../policy/evaluate";
import { benchTenantConfigs, planBenchTenants, projectDir } from "./benchTenants";
import { generateStacks } from "./generatedStacks";

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

/** The `npm run plan` command line from package.json, as node and its arguments. */
function planCommand(): string[] {
  const script = (JSON.parse(readFileSync(join(projectDir, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.plan!;
  const [program, ...args] = script.split(/\s+/);
  if (program !== "node") throw new Error(`package.json's plan script does not start with node: ${script}`);
  return args;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timed(args: readonly string[]): { seconds: number; stderr: string; status: number | null } {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: projectDir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, stderr: run.stderr, status: run.status };
}

function planAll(count: number): void {
  const generated = generateStacks(count);
  try {
    // The script's node options, the peak-memory reporter (after the TypeScript loader), then the tool.
    const command = planCommand();
    const run = timed([...command.slice(0, -1), "--require", "./tools/bench/reportPeakMemory.ts", command[command.length - 1]!, "--all", "--program", generated.programDir]);
    const peakKb = Number(/peak_rss_kb=(\d+)/.exec(run.stderr)?.[1]);
    if (run.status !== 0 || !peakKb) throw new Error(`plan --all over ${count} stacks failed (exit ${run.status}): ${run.stderr.slice(0, 2000)}`);
    console.log(`plan_all stacks=${count} wall_s=${run.seconds.toFixed(1)} peak_rss_mb=${Math.round(peakKb / 1024)} (targets for 1000: wall_s < 180, peak_rss_mb < 2048)`);
  } finally {
    generated.remove();
  }
}

function planProcess(): void {
  const floorScript = ["@pulumi/pulumi", "@pulumi/digitalocean", "@pulumi/cloudflare", "@pulumi/tls", "@pulumi/command"].map((m) => `require(${JSON.stringify(m)});`).join(" ");
  const floor: number[] = [];
  const plan: number[] = [];
  // Warm the transpile cache and the file cache first, then alternate, so load on the machine hits both alike.
  timed([...planCommand(), "--stack", "dev", "--quiet"]);
  for (let i = 0; i < 5; i++) {
    floor.push(timed(["-e", floorScript]).seconds);
    const run = timed([...planCommand(), "--stack", "dev", "--quiet"]);
    if (run.status !== 0) throw new Error(`npm run plan -- --stack dev failed (exit ${run.status}): ${run.stderr.slice(0, 2000)}`);
    plan.push(run.seconds);
  }
  const ratio = median(plan) / median(floor);
  console.log(`plan_process_s=${median(plan).toFixed(2)} sdk_floor_s=${median(floor).toFixed(2)} ratio=${ratio.toFixed(2)} (median of 5; target: ratio <= 2)`);
}

const mode = process.argv[2];
if (mode) {
  planTenants(Number(mode)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  // Each size runs in a fresh process so its peak memory is its own. A larger young generation
  // halves the garbage collector's share: a plan allocates many short-lived promises per resource.
  for (const count of [1, 10, 100]) {
    execFileSync(process.execPath, ["--max-semi-space-size=64", ...process.execArgv, __filename, String(count)], { stdio: "inherit" });
  }
  planProcess();
  for (const count of [100, 1000]) planAll(count);
}
