// `npm run policy` as a process, over small insecure programs written with raw provider resources
// (test/system/policies/fixtures/<name>: Pulumi.yaml, Pulumi.test.yaml, index.ts), over the dev stack
// with policy pack config files, and over programs that fail.
//
// In the system lane for its time, not its needs: it wants nothing but node, yet its 24 runs of the
// tool, each type-checking its program first, take about a minute of both cores on their own,
// which is the unit lane's whole budget.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mailSecurityPolicies } from "../../../policies/pack";

const projectDir = resolve(__dirname, "../../..");
const tsx = join(projectDir, "node_modules/.bin/tsx");
const policyTool = join(projectDir, "tools/policy/main.ts");
const fixtures = "test/system/policies/fixtures";
let workDir: string;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly json?: {
    summary: { mandatory: number; advisory: number; remediated: number; policy_ms: number };
    diagnostics: Array<{ policyName: string; enforcementLevel: string; resourceName?: string; message: string }>;
    remediations: Array<{ policyName: string; changedProperties: string[] }>;
  };
}

let runs = 0;
function runTool(...args: string[]): Promise<Run> {
  const jsonFile = join(workDir, `report-${++runs}.json`);
  return new Promise((resolveRun) => {
    execFile(tsx, [policyTool, ...args, "--json", jsonFile], { cwd: projectDir, encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      let json: Run["json"];
      try {
        json = JSON.parse(readFileSync(jsonFile, "utf8"));
      } catch {
        json = undefined;
      }
      resolveRun({ code, stdout, stderr, json });
    });
  });
}

const mandatory = (run: Run) => run.json!.diagnostics.filter((d) => d.enforcementLevel === "mandatory").map((d) => `${d.policyName} ${d.resourceName}`);

function configFile(config: unknown): string {
  const file = join(workDir, `config-${++runs}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** Runs of the tool, declared by the tests below and started before them, two at a time. */
const planned = new Map<string, string[] | (() => string[])>();
const results = new Map<string, Run>();

function plan(label: string, args: string[] | (() => string[])): void {
  planned.set(label, args);
}

function policy(label: string): Run {
  const run = results.get(label);
  if (!run) throw new Error(`no run "${label}"`);
  return run;
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "policy-programs-"));
  const queue = [...planned];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [label, args] = next;
      results.set(label, await runTool(...(typeof args === "function" ? args() : args)));
    }
  };
  await Promise.all([worker(), worker()]);
}, 600_000);

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

const insecure: Array<[string, string[], string[]]> = [
  ["open-ssh-firewall", [], ["digitalocean-firewall-ssh-sources web", "digitalocean-firewall-ssh-sources web"]],
  ["wide-open-firewall", [], ["digitalocean-firewall-inbound-ports app", "digitalocean-firewall-inbound-ports app", "digitalocean-firewall-ssh-sources app"]],
  ["droplet-without-firewall", [], ["digitalocean-droplet-firewall-coverage web"]],
  ["weak-dkim", [], ["dkim-key-strength dkim"]],
  // The P224 default curve is judged from the inputs, so the preview (no key generated) catches it.
  ["default-curve-key", ["--preview"], ["tls-private-key-strength service"]],
  ["spf-plus-all", [], ["spf-record-valid spf"]],
  ["two-spf-records", [], ["spf-single-record spf-newsletter"]],
  ["dmarc-without-rua", [], ["dmarc-record-valid dmarc"]],
  ["zone-tls-1-0", [], ["cloudflare-zone-min-tls-version min-tls"]],
  ["token-in-user-data", [], ["digitalocean-droplet-user-data-secrets mail", "digitalocean-droplet-user-data-secrets mail"]],
  ["weak-ssh-key", [], ["digitalocean-ssh-key-strength old-laptop"]],
  ["legacy-record", [], ["spf-record-valid spf"]],
];
for (const [fixture, extra] of insecure) plan(fixture, ["--program", `${fixtures}/${fixture}`, "--stack", "test", ...extra]);
plan("secure-raw", ["--program", `${fixtures}/secure-raw`, "--stack", "test"]);
plan("never-resolves", ["--program", `${fixtures}/never-resolves`, "--stack", "test"]);
// Long enough that loading the SDK and a provider on a busy machine never uses it up.
plan("pending-resource", ["--program", `${fixtures}/pending-resource`, "--stack", "test", "--timeout", "8"]);
plan("type-error", ["--program", `${fixtures}/type-error`, "--stack", "test"]);

describe("insecure programs are caught by the policy that should catch them", () => {
  it.each(insecure)("%s", (fixture, _extra, expected) => {
    const run = policy(fixture);
    expect(run.code, run.stderr).toBe(1);
    expect(mandatory(run)).toEqual(expected);
    expect(run.stdout).toMatch(/^Policies:\n {4}❌ mail-security-baseline@v0\.1\.0 \(local: policies\)$/m);
    for (const line of expected) {
      const [name, resource] = line.split(" ");
      expect(run.stdout).toMatch(new RegExp(`^ {8}- \\[mandatory\\]  ${name}  \\([a-z]+:index/[A-Za-z]+:[A-Za-z]+: ${resource}\\)$`, "m"));
    }
    expect(run.stdout).not.toMatch(/PRIVATE KEY-----|dop_v1_[0-9a-f]/);
  });

  it("a secure program written with raw resources passes every policy", () => {
    const run = policy("secure-raw");
    expect(run.code, run.stderr).toBe(0);
    expect(run.json!.diagnostics).toEqual([]);
    expect(run.stdout).toContain("    ✅ mail-security-baseline@v0.1.0 (local: policies)");
  });
});

const pinned = { "dkim-selector-age": { referenceDate: "2026-11-27" } };
plan("dev", () => ["--stack", "dev", "--config", configFile(pinned)]);
plan("dev-raised", () => ["--stack", "dev", "--config", configFile({ ...pinned, "dmarc-policy-enforced": "mandatory" })]);
plan("dev-tightened", () => [
  "--stack",
  "dev",
  "--policy-pack-config",
  configFile({ ...pinned, "digitalocean-firewall-inbound-ports": { allowedTcpPorts: [25, 465, 587, 993, 22] } }),
]);
plan("dev-disabled", () => ["--stack", "dev", "--config", configFile({ ...pinned, "spf-softfail": "disabled", "dmarc-policy-enforced": { enforcementLevel: "disabled" } })]);
plan("remediate", () => ["--program", `${fixtures}/zone-tls-1-0`, "--stack", "test", "--config", configFile({ "cloudflare-zone-min-tls-version": "remediate" })]);
plan("bad-config", () => [
  "--stack",
  "dev",
  "--config",
  configFile({ "spf-record-valid": { enforcementLevel: "mandatory", maximumDnsLookups: 20 }, "dkim-key-strenght": "advisory" }),
]);

describe("the dev stack and the policy pack config", () => {
  it("the dev stack has zero mandatory violations and exits 0", () => {
    const run = policy("dev");
    expect(run.code, run.stderr).toBe(0);
    expect(run.json!.summary).toMatchObject({ mandatory: 0, advisory: 2 });
    expect(run.stdout).toMatch(new RegExp(`^0 mandatory, 2 advisory \\(${mailSecurityPolicies.length} policies over \\d+ resources in [\\d.]+ ms\\)$`, "m"));
  });

  it("a config file raises an advisory policy to mandatory, and the run fails", () => {
    const run = policy("dev-raised");
    expect(run.code).toBe(1);
    expect(mandatory(run)).toEqual(["dmarc-policy-enforced tenant-one-example-dns-dmarc"]);
  });

  it("a config file tightens a tunable, and what it now forbids is reported", () => {
    const run = policy("dev-tightened");
    expect(run.code).toBe(1);
    expect(mandatory(run)).toEqual(["digitalocean-firewall-inbound-ports tenant-one-example-host-firewall"]);
    const firewall = run.json!.diagnostics.find((d) => d.policyName === "digitalocean-firewall-inbound-ports");
    expect(firewall?.message).toMatch(/inbound rule \d \(tcp 443\) opens tcp port 443, which is not allowed \(25, 465, 587, 993, 22\)/);
  });

  it("a config file disables policies", () => {
    const run = policy("dev-disabled");
    expect(run.code).toBe(0);
    expect(run.json!.diagnostics).toEqual([]);
  });

  it("at level remediate the min_tls_version is raised instead of failing the run", () => {
    const run = policy("remediate");
    expect(run.code, run.stderr).toBe(0);
    expect(run.json!.remediations).toEqual([expect.objectContaining({ policyName: "cloudflare-zone-min-tls-version", changedProperties: ["value"] })]);
    expect(run.stdout).toMatch(/^ {8}- \[remediate\]  cloudflare-zone-min-tls-version  \(cloudflare:index\/zoneSetting:ZoneSetting: min-tls\)\n {10}changed: value$/m);
  });

  it("a bad config file is reported, with every problem, before the program runs", () => {
    const run = policy("bad-config");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^error: .*config-\d+\.json: invalid policy pack config:\n {2}dkim-key-strenght: no such policy in the pack \(policies: .*\)\n {2}spf-record-valid: maximumDnsLookups: 20 is above the maximum 10\n$/);
  });
});

plan("throws", ["--program", `${fixtures}/program-throws`, "--stack", "test"]);
plan("missing-config", ["--program", `${fixtures}/missing-config`, "--stack", "test"]);
plan("apply-throws", ["--program", `${fixtures}/apply-throws`, "--stack", "test"]);
plan("missing-stack", ["--program", `${fixtures}/spf-plus-all`, "--stack", "prod"]);
plan("no-stack", ["--program", `${fixtures}/spf-plus-all`]);

describe("programs that fail give a clear error and a non-zero exit", () => {
  it("a program that throws: its message and where, no stack trace", () => {
    const run = policy("throws");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      "error: the program in test/system/policies/fixtures/program-throws failed: region fra9 does not exist (at test/system/policies/fixtures/program-throws/index.ts:5:7)\n",
    );
  });

  it("a program that reads config its stack does not set", () => {
    const run = policy("missing-config");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: Missing required configuration variable 'fixture-missing-config:region'\n/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it("a program whose apply callback throws: the program fails, no stack is judged without the resource", () => {
    const run = policy("apply-throws");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^error: the program in test\/system\/policies\/fixtures\/apply-throws failed: error serializing property "name": cannot derive a firewall name from 192\.0\.2\.\d+ \(at test\/system\/policies\/fixtures\/apply-throws\/index\.ts:8:11\)\n$/,
    );
  });

  it("a stack without a stack file, and a missing --stack", () => {
    const missing = policy("missing-stack");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: no stack file Pulumi.prod.yaml in ${join(projectDir, fixtures, "spf-plus-all")}\n`);
    const noStack = policy("no-stack");
    expect(noStack.code).toBe(2);
    expect(noStack.stderr).toBe("error: required option '--stack <name>' not specified (npm run policy -- --help for usage)\n");
  });
});

describe("a program that does not finish, or would not compile, never passes", () => {
  it("a program whose promise never settles is reported, not taken for an empty pass", () => {
    const run = policy("never-resolves");
    expect(run.code).toBe(5);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("error: the program stopped without finishing: nothing is left to wait for; no resource is pending (the program's own promise never settled)\n");
    expect(run.json).toBeUndefined();
  });

  it("a program kept alive by a timer stops at --timeout, naming the resource still pending", () => {
    const run = policy("pending-resource");
    expect(run.code).toBe(5);
    expect(run.stderr).toBe('error: the program did not finish within 8 s; still pending: digitalocean:index/tag:Tag "waiting"\n');
    expect(run.json).toBeUndefined();
  });

  it("a program with a type error is refused before it runs, as pulumi preview refuses it", () => {
    const run = policy("type-error");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^error: the program in test\/system\/policies\/fixtures\/type-error has 1 type error, which pulumi preview would refuse to run:\n {2}test\/system\/policies\/fixtures\/type-error\/index\.ts:6:\d+: TS2322: /);
  });
});

