import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { combinedExitCode } from "../../../tools/plan/planAll";

const projectDir = resolve(__dirname, "../../..");
const devStack = readFileSync(join(projectDir, "Pulumi.dev.yaml"), "utf8");
let programDir: string;

beforeAll(() => {
  programDir = mkdtempSync(join(tmpdir(), "plan-all-"));
  copyFileSync(join(projectDir, "Pulumi.yaml"), join(programDir, "Pulumi.yaml"));
  writeFileSync(join(programDir, "index.ts"), `export = require(${JSON.stringify(join(projectDir, "index.ts"))});\n`);
  // Sorted first: its failure must not leak into the stacks planned after it.
  writeFileSync(join(programDir, "Pulumi.a-broken.yaml"), devStack.split("tenant-one.example").join("-bad.example"));
  writeFileSync(join(programDir, "Pulumi.dev.yaml"), devStack);
  writeFileSync(join(programDir, "Pulumi.two.yaml"), devStack.split("tenant-one.example").join("tenant-two.example"));
});

afterAll(() => rmSync(programDir, { recursive: true, force: true }));

/** The plan tool as `npm run plan` runs it; the program loads from a directory of the test's own. */
function plan(...args: string[]) {
  return spawnSync(process.execPath, ["--require", "./tools/cli/typescriptLoader.cjs", "tools/plan/main.ts", ...args], { cwd: projectDir, encoding: "utf8", timeout: 120_000 });
}

describe("npm run plan -- --all, stack after stack in one process", () => {
  it("reports a broken stack on its own line and plans the next ones exactly as alone", () => {
    const all = plan("--all", "--program", programDir, "--quiet");
    expect(all.status).toBe(2);
    const marks = all.stdout.split("\n").filter((line) => /^[✓✗] /.test(line));
    expect(marks.map((line) => line.split(/\s+/).slice(0, 2).join(" "))).toEqual(["✗ a-broken", "✓ dev", "✓ two"]);
    const alone = plan("--stack", "dev", "--program", programDir, "--quiet");
    expect(alone.status).toBe(0);
    const count = /: (\d+) resources to create/.exec(alone.stdout)![1];
    const summary = /^(\d+ mandatory, \d+ advisory)/m.exec(alone.stdout)![1];
    expect(marks[1]).toBe(`✓ dev       ${count} resources  ${summary}`);
  });
});

describe("combinedExitCode", () => {
  it("is the most serious outcome: a policy crash, then invalid input, then a timeout, then a violation", () => {
    expect(combinedExitCode([0, 1, 5, 2, 3])).toBe(3);
    expect(combinedExitCode([1, 5, 2, 0])).toBe(2);
    expect(combinedExitCode([1, 5])).toBe(5);
    expect(combinedExitCode([0, 1])).toBe(1);
    expect(combinedExitCode([0, 0])).toBe(0);
  });
});

describe("npm run plan -- --all", () => {
  it("prints one line per stack, goes past failures and violations, and exits with the most serious", () => {
    const policyConfig = join(programDir, "..", `${programDir.split("/").pop()}-policy.json`);
    writeFileSync(policyConfig, JSON.stringify({ "spf-softfail": "mandatory" }));
    const jsonFile = join(tmpdir(), `${programDir.split("/").pop()}-all.json`);
    const auditLog = join(tmpdir(), `${programDir.split("/").pop()}-audit.jsonl`);
    writeFileSync(auditLog, '{"earlier":"line"}\n');
    const run = plan("--all", "--program", programDir, "--policy-pack-config", policyConfig, "--json", jsonFile, "--audit-log", auditLog);
    rmSync(policyConfig);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(2);
    const lines = run.stdout.trim().split("\n");
    expect(lines.filter((line) => /^[✓✗] /.test(line))).toEqual([
      expect.stringMatching(/^✗ a-broken {2}error: invalid tenant configuration \(\d+ problems\):$/),
      expect.stringMatching(/^✗ dev {7}\d+ resources {2}1 mandatory, 1 advisory: spf-softfail \(tenant-one-example-dns-spf\)$/),
      expect.stringMatching(/^✗ two {7}\d+ resources {2}1 mandatory, 1 advisory: spf-softfail \(tenant-two-example-dns-spf\)$/),
    ]);
    expect(lines.at(-1)).toMatch(/^3 stacks: 0 passed, 2 with mandatory violations, 1 failed \([\d.]+ s\)$/);
    expect(run.stdout).not.toMatch(/\n\s+at /);
    const written = JSON.parse(readFileSync(jsonFile, "utf8")) as { stacks: Array<{ stack: string; status: string; exitCode: number }> };
    rmSync(jsonFile);
    expect(written.stacks.map((s) => [s.stack, s.status, s.exitCode])).toEqual([["a-broken", "failed", 2], ["dev", "violation", 1], ["two", "violation", 1]]);
    // Appended to what the log held, one event per line, the stack's violations with it.
    const events = readFileSync(auditLog, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    rmSync(auditLog);
    expect(events[0]).toEqual({ earlier: "line" });
    expect(events.slice(1).filter((e) => e.eventType !== "infrastructure.policy.violated" || e.severity === "critical").map((e) => [e.tenantId, e.eventType, e.severity])).toEqual([
      // Named by the tenant's domain, as the host's own audit log names it; a stack without a valid one by its name.
      ["a-broken", "infrastructure.stack.plan_failed", "warning"],
      ["tenant-one.example", "infrastructure.stack.planned", "critical"],
      ["tenant-one.example", "infrastructure.policy.violated", "critical"],
      ["tenant-two.example", "infrastructure.stack.planned", "critical"],
      ["tenant-two.example", "infrastructure.policy.violated", "critical"],
    ]);
    expect(new Set(events.slice(1).map((e) => e.requestId)).size).toBe(1);
  });

  it("refuses --all with --stack or --out, and neither, in one line", () => {
    expect(plan("--all", "--stack", "dev")).toMatchObject({ status: 2, stdout: "", stderr: "error: option '--all' cannot be used with option '--stack <name>' (npm run plan -- --help for usage)\n" });
    expect(plan("--all", "--out", "/tmp/x")).toMatchObject({ status: 2, stderr: expect.stringMatching(/^error: option '--out <dir>' cannot be used with option '--all'/) });
    expect(plan()).toMatchObject({ status: 2, stderr: "error: give --stack <name> or --all (npm run plan -- --help for usage)\n" });
  });
});
