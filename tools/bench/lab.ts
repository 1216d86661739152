/**
 * `npm run bench:lab`: the wall time of `npm run lab -- --stack dev` cold (a temporary cache
 * directory: the Debian 12 rootfs is built and its packages downloaded from scratch) and then warm
 * (the same cache: the rootfs is reused), with each phase's time. Targets on a 2-core machine:
 * cold under 6 minutes, warm under 2. Prints `run=cold wall_ms=... checks_passed=23/23 host_ms=...`.
 */

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LabReport } from "../lab/mailLab/report";

const projectDir = path.resolve(__dirname, "../..");

async function labRun(name: string, cacheDir: string, jsonFile: string): Promise<void> {
  const started = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolve) => {
    // The run's own progress goes to stderr, so stdout has only the bench's lines.
    const child = spawn(process.execPath, ["--require", "tsx/cjs", "tools/lab/mailLab/main.ts", "--stack", "dev", "--json", jsonFile], {
      cwd: projectDir,
      env: { ...process.env, PENGUINMAILS_LAB_CACHE: cacheDir },
      stdio: ["ignore", process.stderr, process.stderr],
    });
    child.on("close", resolve);
  });
  const wallMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  const report = JSON.parse(fs.readFileSync(jsonFile, "utf8")) as LabReport;
  const passed = report.checks.filter((c) => c.ok).length;
  const phases = report.phases.map((p) => `${p.name}_ms=${p.ms}`).join(" ");
  console.log(`run=${name} wall_ms=${wallMs} exit=${code} checks_passed=${passed}/${report.checks.length} ${phases}${report.error ? ` error=${JSON.stringify(report.error.split("\n")[0])}` : ""}`);
}

async function main(): Promise<void> {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-lab-cache-"));
  const jsonDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-lab-json-"));
  try {
    console.log(`# load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; ${os.cpus().length} cores`);
    await labRun("cold", cacheDir, path.join(jsonDir, "cold.json"));
    await labRun("warm", cacheDir, path.join(jsonDir, "warm.json"));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.rmSync(jsonDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
