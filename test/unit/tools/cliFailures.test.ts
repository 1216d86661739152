// The CLIs misused the way a careless operator would: every failure has its own exit code and one
// line naming what is wrong, nothing is printed before an output path is known to work, and nothing
// is left behind or removed that the tool did not write.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const projectDir = resolve(__dirname, "../../..");
const tsx = join(projectDir, "node_modules/.bin/tsx");
let workDir: string;

function tool(script: string, ...args: string[]) {
  const run = spawnSync(tsx, [join(projectDir, script), ...args], { cwd: projectDir, encoding: "utf8", timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const plan = (...args: string[]) => tool("tools/plan/main.ts", "--stack", "dev", ...args);
const check = (...args: string[]) => tool("tools/check/main.ts", ...args);

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), "cli-failures-"));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe("npm run plan with an output it cannot write", () => {
  it.each([
    ["a missing directory", () => ["--json", join(workDir, "missing/plan.json")], (p: string) => `error: --json ${p}: the directory ${join(workDir, "missing")} does not exist`],
    ["a directory", () => ["--json", workDir], (p: string) => `error: --json ${p}: is a directory; give a file name`],
    ["a file in /proc", () => ["--json", "/proc/x"], () => "error: --json /proc/x: /proc is a kernel file system, not a place for files"],
    ["a bundle directory in /proc", () => ["--out", "/proc/x"], () => "error: --out /proc/x: /proc is a kernel file system, not a place for files"],
  ])("refuses %s before planning anything: exit 4, one line naming the path", (_title, args, message) => {
    const given = args();
    const run = plan(...given);
    expect(run.code).toBe(4);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`${message(given[1]!)}\n`);
  });

  it("refuses --json inside the --out directory, which it would replace whole", () => {
    const out = join(workDir, "bundle-and-json");
    mkdirSync(out);
    const run = plan("--json", join(out, "plan.json"), "--out", out);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(`error: --out ${out}: --json ${out}/plan.json lies inside it, and --out replaces the directory whole\n`);
    expect(readdirSync(out)).toEqual([]);
  });

  it("never removes what it did not write, even where a bundle's files sit", () => {
    const out = join(workDir, "someone-elses");
    mkdirSync(out);
    for (const name of ["manifest.json", "apply.sh", "notes.txt"]) writeFileSync(join(out, name), `${name} of someone else\n`);
    const run = plan("--out", out);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(`error: --out ${out}: holds apply.sh, manifest.json, notes.txt, which plan did not write; give an empty or new directory\n`);
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("notes.txt of someone else\n");
  });

  it("writes both outputs whole when it can, and replaces its own bundle on the next run", () => {
    const out = join(workDir, "bundle");
    const json = join(workDir, "plan.json");
    expect(plan("--json", json, "--out", out).code).toBe(0);
    expect(JSON.parse(readFileSync(json, "utf8")).stack).toBe("dev");
    expect(existsSync(join(out, "manifest.json"))).toBe(true);
    expect(plan("--out", out).code).toBe(0);
    expect(readdirSync(workDir).filter((name) => /\.(tmp|new|old)$/.test(name))).toEqual([]);
  });

  it("takes a stack name, never a path", () => {
    const run = tool("tools/plan/main.ts", "--stack", "../../x");
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: option '--stack <name>' argument '../../x' is invalid. "../../x" is not a stack name (letters, digits, "-", "_" and "." only) (npm run plan -- --help for usage)\n`);
  });
});

describe("npm run check with arguments that are not what they claim", () => {
  it.each([
    ["--timeout", "0x10", /expected a number of seconds in decimal digits, got "0x10"/],
    ["--timeout", "1e3", /expected a number of seconds in decimal digits, got "1e3"/],
    ["--timeout", "-5", /expected a number of seconds in decimal digits/],
  ])("refuses %s %s with the usage exit code", (option, value, message) => {
    const run = check("mail.tenant-one.example", `${option}=${value}`);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("refuses a --ca file that holds no certificate, instead of trusting nothing silently", () => {
    const garbage = join(workDir, "garbage.pem");
    writeFileSync(garbage, "not a certificate\n");
    const run = check("mail.tenant-one.example", "--ca", garbage);
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(`error: option '--ca <file>' argument '${garbage}' is invalid. ${garbage} holds no PEM certificate (npm run check -- --help for usage)\n`);
    const broken = join(workDir, "broken.pem");
    writeFileSync(broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expect(check("mail.tenant-one.example", "--ca", broken).stderr).toMatch(/holds a PEM block that is not a certificate/);
  });
});
