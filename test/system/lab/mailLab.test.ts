// `npm run lab` end to end, as a user runs it: the example stack booted and probed, every check
// passing; then deliberately weakened bundles, each failing the checks its weakening names and no
// implausible other; --keep and `down`; Ctrl-C; usage errors. Each run boots a Debian host
// (a cold rootfs build takes minutes; later runs reuse it). Timings: npm run bench:lab.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attachDebianHost } from "../../../tools/lab/debianHost";
import { runDirFor } from "../../../tools/lab/debianHost/runState";
import { checkNames } from "../../../tools/lab/mailLab/checks/checkNames";
import { labExitCodes } from "../../../tools/lab/mailLab/exitCodes";
import { netnsEtcDir } from "../../../tools/lab/mailLab/internet/internetNamespace";
import { keptLabsDir } from "../../../tools/lab/mailLab/keptLab";
import type { LabReport } from "../../../tools/lab/mailLab/report";
import { parseWeakenings, weakenings } from "../../../tools/lab/mailLab/weakenings";

const root = path.resolve(__dirname, "../../..");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mail-lab-test-"));
const RUN_TIMEOUT_MS = 20 * 60_000;

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface LabRun {
  code: number | null;
  output: string;
}

/** The CLI as `npm run lab` runs it; `onLine` sees its output as it comes and may signal it. */
function lab(args: readonly string[], onLine: (line: string, child: ReturnType<typeof spawn>) => void = () => undefined): Promise<LabRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--require", "tsx/cjs", "tools/lab/mailLab/main.ts", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let pending = "";
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line, child);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("close", (code) => resolve({ code, output }));
  });
}

function readReport(file: string): LabReport {
  return JSON.parse(fs.readFileSync(file, "utf8")) as LabReport;
}

/** What a finished run leaves: nothing of its host, its internet namespace or its kept-lab state. */
function leftovers(report: LabReport | { topology?: undefined }, hostName?: string): string[] {
  const left: string[] = [];
  const name = report.topology?.labHost ?? hostName;
  if (name && fs.existsSync(runDirFor(name))) left.push(`run directory ${runDirFor(name)}`);
  if (name && fs.existsSync(path.join(keptLabsDir(), `${name}.json`))) left.push("kept-lab state file");
  for (const ns of [report.topology?.internetNamespace, report.topology?.hostNamespace].filter((n): n is string => Boolean(n))) {
    if (fs.existsSync(`/run/netns/${ns}`)) left.push(`namespace ${ns}`);
  }
  if (report.topology && fs.existsSync(netnsEtcDir(report.topology.internetNamespace))) left.push(netnsEtcDir(report.topology.internetNamespace));
  if (report.topology && fs.existsSync(path.dirname(report.topology.caFile))) left.push(path.dirname(report.topology.caFile));
  return left;
}

const failedChecks = (report: LabReport) => report.checks.filter((c) => !c.ok).map((c) => c.name).sort();

describe("npm run lab on the example stack", () => {
  it("boots the planned mail system, passes every check, reports them as JSON with the topology, and removes everything", async () => {
    const json = path.join(scratch, "clean.json");
    const run = await lab(["--stack", "dev", "--json", json]);
    const report = readReport(json);
    expect(report.checks.filter((c) => !c.ok), run.output).toEqual([]);
    expect(run.code).toBe(labExitCodes.ok);
    expect(report.checks.map((c) => c.name)).toEqual([...checkNames]);
    for (const check of report.checks) {
      expect(check.detail.length, check.name).toBeGreaterThan(0);
      expect(check.ms, check.name).toBeGreaterThanOrEqual(0);
    }
    expect(report.topology).toMatchObject({
      internetNamespace: expect.stringMatching(/^pml-[a-z0-9]+-client$/),
      mxIpv4: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
      mxIpv6: expect.stringMatching(/:/),
      resolver: { v4: expect.any(String), v6: expect.any(String) },
    });
    expect(report.labChanges.join("\n")).toMatch(/recipientsPerHourPerAccount 500 \(default\) -> 10 \(LOWERED/);
    expect(report.phases.map((p) => p.name)).toEqual(["host", "plan", "dns", "certificate", "apply", "checks", "teardown"]);
    expect(run.output).toMatch(/^\[\s*\d+\.\ds\] check mail\.in: ok \(/m);
    expect(run.output).toMatch(/^all 23 checks passed$/m);
    expect(leftovers(report)).toEqual([]);
  }, RUN_TIMEOUT_MS);
});

// Three runs cover every weakening; within a run the weakenings touch different checks, so each
// expected failure has one cause.
const weakenedRuns = [
  "tls10,port8080,headers,mta-sts-id,no-account-limit,log-warning,no-ban-notice,tlsa-key",
  "relay,auth-before-tls,no-ban,dkim-key,no-apply-checks",
  "no-starttls,ssh-open,ban-scanners,no-connection-limit",
];

describe("npm run lab with weakened bundles", () => {
  it("covers every weakening once", () => {
    const listed = weakenedRuns.flatMap((r) => parseWeakenings(r).map((w) => w.name));
    expect([...listed].sort()).toEqual(weakenings.map((w) => w.name).sort());
  });

  it.each(weakenedRuns)("--weaken %s fails exactly the checks the weakenings name (and plausible others)", async (list) => {
    const chosen = parseWeakenings(list);
    const json = path.join(scratch, `weakened-${chosen[0]!.name}.json`);
    const run = await lab(["--stack", "dev", "--weaken", list, "--json", json]);
    const report = readReport(json);
    expect(report.error, run.output).toBeUndefined();
    expect(run.code).toBe(labExitCodes.checkFailed);
    expect(report.weakenings).toEqual(chosen.map((w) => w.name));
    const failed = failedChecks(report);
    const mustFail = [...new Set(chosen.flatMap((w) => w.breaks))].sort();
    const mayFail = new Set<string>([...mustFail, ...chosen.flatMap((w) => w.mayAlsoBreak)]);
    expect(mustFail.filter((n) => !failed.includes(n)), run.output).toEqual([]);
    expect(failed.filter((n) => !mayFail.has(n)), JSON.stringify(report.checks.filter((c) => !c.ok && !mayFail.has(c.name)), null, 1)).toEqual([]);
    for (const w of chosen) expect(run.output).toContain(`WEAKENED on purpose: ${w.name}`);
    expect(leftovers(report)).toEqual([]);
  }, RUN_TIMEOUT_MS);
});

describe("keeping, interrupting and usage", () => {
  it("--keep leaves the lab up and says how to reach it; `down` from elsewhere removes it", async () => {
    const json = path.join(scratch, "kept.json");
    let downRun: Promise<LabRun> | undefined;
    let reachable: Promise<string> | undefined;
    const run = await lab(["--stack", "dev", "--keep", "--json", json], (line, child) => {
      if (!line.startsWith("Remove it with Ctrl-C here")) return;
      const report = readReport(json);
      // Up as printed: the droplet answers over SSH, the internet namespace has its resolver.
      reachable = attachDebianHost(report.topology!.labHost)
        .then((host) => host.ssh("systemctl is-active postfix@-.service"))
        .then((r) => r.stdout.trim() + (fs.existsSync(netnsEtcDir(report.topology!.internetNamespace)) ? " netns" : ""));
      // Unreachable: end the kept lab here, or it would wait for a `down` until the test times out.
      downRun = reachable.then(
        () => lab(["down"]),
        (error: unknown) => {
          child.kill("SIGTERM");
          return { code: -1, output: `not reachable, so not taken down: ${String(error)}` };
        },
      );
    });
    const report = readReport(json);
    expect(await reachable).toBe("active netns");
    const down = await downRun!;
    expect(down.code, down.output).toBe(labExitCodes.ok);
    expect(down.output).toContain(`${report.topology!.labHost} is down`);
    expect(run.output).toContain(`ip netns exec ${report.topology!.internetNamespace} bash`);
    expect(run.output).toMatch(/SIGTERM: tearing the lab down/);
    expect([labExitCodes.ok, labExitCodes.checkFailed]).toContain(run.code);
    expect(report.checks.length).toBe(checkNames.length);
    expect(leftovers(report)).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it("Ctrl-C during set-up stops at once and leaves nothing behind", async () => {
    let hostName: string | undefined;
    const run = await lab(["--stack", "dev"], (line, child) => {
      hostName ??= /booting lab host (lab-[0-9a-f]+)/.exec(line)?.[1];
      if (/^\[[\s\d.]+s\] dns: /.test(line)) child.kill("SIGINT");
    });
    expect(run.code, run.output).toBe(labExitCodes.interrupted);
    expect(hostName).toBeDefined();
    expect(leftovers({}, hostName)).toEqual([]);
    const netnsDirs = fs.existsSync("/etc/netns") ? fs.readdirSync("/etc/netns") : [];
    expect(netnsDirs.filter((ns) => run.output.includes(ns))).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it("refuses a missing stack, an unknown weakening and an unknown action in one line, exit 2", async () => {
    const noStack = await lab([]);
    expect(noStack.code).toBe(labExitCodes.invalidInput);
    expect(noStack.output.trim()).toBe("error: --stack <name> is required (npm run lab -- --help for usage)");
    const badWeakening = await lab(["--stack", "dev", "--weaken", "tls9"]);
    expect(badWeakening.code).toBe(labExitCodes.invalidInput);
    expect(badWeakening.output.trim().split("\n")).toHaveLength(1);
    expect(badWeakening.output).toMatch(/--weaken.*unknown weakening tls9; known: tls10/);
    const badAction = await lab(["up"]);
    expect(badAction.code).toBe(labExitCodes.invalidInput);
    expect(badAction.output).toMatch(/unknown action "up"/);
    const noSuchStack = await lab(["--stack", "nosuch"]);
    expect(noSuchStack.code).toBe(labExitCodes.invalidInput);
    expect(noSuchStack.output).toMatch(/no stack file Pulumi\.nosuch\.yaml/);
  }, 120_000);
});
