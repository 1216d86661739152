import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dkimPrivateKeyPath, hostLayout } from "../../../hostBundle/hostLayout";

const projectDir = resolve(__dirname, "../../..");
const tsx = join(projectDir, "node_modules/.bin/tsx");
const planTool = join(projectDir, "tools/plan/main.ts");
let workDir: string;

function plan(...args: string[]) {
  const run = spawnSync(tsx, [planTool, ...args], { cwd: projectDir, encoding: "utf8", timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A program directory that runs this project's program with a stack file of the test's own. */
function programWithStack(stackYaml: string): string {
  const dir = mkdtempSync(join(workDir, "program-"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: penguinmails-mail\nruntime: nodejs\n");
  writeFileSync(join(dir, "Pulumi.t.yaml"), stackYaml);
  writeFileSync(join(dir, "index.ts"), `export = require(${JSON.stringify(join(projectDir, "index.ts"))});\n`);
  return dir;
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), "plan-test-"));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe("npm run plan", () => {
  it("prints the dev stack's resource tree with inputs, and writes the captured resources", () => {
    const jsonFile = join(workDir, "plan.json");
    const run = plan("--stack", "dev", "--json", jsonFile);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const count = Number(/: (\d+) resources to create/.exec(run.stdout)?.[1]);
    expect(run.stdout).toMatch(/^\+ +pulumi:pulumi:Stack +penguinmails-mail-dev$/m);
    expect(run.stdout).toMatch(/^\+ +digitalocean:index\/droplet:Droplet +tenant-one-example-host-droplet$/m);
    expect(run.stdout).toMatch(/^ +name: "mail\.tenant-one\.example"$/m);
    // The trust chain: the zone signed, DANE for each certificate key slot, CAA bound to the ACME account, and the registrar's DS.
    expect(run.stdout).toMatch(/^\+ +cloudflare:index\/zoneDnssec:ZoneDnssec +tenant-one-example-dns-dnssec$/m);
    expect(run.stdout.match(/^ +content: "3 1 1 [0-9a-f]{64}"$/gm)).toHaveLength(3);
    expect(run.stdout).toMatch(/^ +content: "0 issue \\"letsencrypt\.org; validationmethods=dns-01; accounturi=https:\/\/acme-v02\.api\.letsencrypt\.org\/acme\/acct\/\d+\\""$/m);
    expect(run.stdout).toMatch(/^ +dnssecNotice: "Publish dnssecDsRecord as the DS record at the domain's registrar/m);
    expect(run.stdout).not.toMatch(/PRIVATE KEY/);

    const captured = JSON.parse(readFileSync(jsonFile, "utf8"));
    expect(captured.resources).toHaveLength(count);
    const droplet = captured.resources.find((r: { type: string }) => r.type === "digitalocean:index/droplet:Droplet");
    expect(droplet.parent).toMatch(/penguinmails:mail:MailHost::tenant-one-example-host$/);
    const keys = captured.resources.filter((r: { type: string }) => r.type === "tls:index/privateKey:PrivateKey");
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.outputs.privateKeyPem).toBe("[secret]");
    expect(readFileSync(jsonFile, "utf8")).not.toMatch(/PRIVATE KEY/);
  });

  it("writes the host bundle that would ship with --out, secret files replaced by notes", () => {
    const outDir = join(workDir, "bundle");
    const run = plan("--stack", "dev", "--quiet", "--out", outDir);
    expect(run.code).toBe(0);
    const mainCf = readFileSync(join(outDir, "files/etc/postfix/main.cf"), "utf8");
    expect(mainCf).toMatch(/^myhostname = mail\.tenant-one\.example$/m);
    const manifest = JSON.parse(readFileSync(join(outDir, "manifest.json"), "utf8"));
    const hash = /hostBundleHash: "([0-9a-f]{64})"/.exec(run.stdout)?.[1];
    expect(hash).toBeDefined();
    const secretFiles = (manifest.files as Array<{ path: string; secret?: boolean }>).filter((f) => f.secret).map((f) => f.path);
    expect(secretFiles).toEqual(expect.arrayContaining([dkimPrivateKeyPath("pm202611"), hostLayout.tls.privateKey]));
    for (const path of secretFiles) expect(readFileSync(join(outDir, "files", path), "utf8")).not.toMatch(/PRIVATE KEY/);
    expect(run.stdout).not.toMatch(/PRIVATE KEY/);
  });

  it("is deterministic: two plans print the same thing", () => {
    const withoutTimings = (text: string) => text.replace(/ in [\d.]+ ms\)$/m, ")");
    expect(withoutTimings(plan("--stack", "dev").stdout)).toBe(withoutTimings(plan("--stack", "dev").stdout));
  });

  it("on bad config prints only the config errors, each with its key, and exits 2", () => {
    const dir = programWithStack([
      "config:",
      "  penguinmails-mail:domain: \"-bad.example\"",
      "  penguinmails-mail:adminCidrs: [\"0.0.0.0/0\"]",
      "  penguinmails-mail:adminSshPublicKeys: []",
      "  penguinmails-mail:alertEmail: ops@tenant-one.example",
      "  penguinmails-mail:cloudflareZoneId: 0123456789abcdef0123456789abcdef",
      "  penguinmails-mail:acmeDnsApiToken: {secure: placeholder}",
      "",
    ].join("\n"));
    const run = plan("--stack", "t", "--program", dir);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toEqual([
      "error: invalid tenant configuration (3 problems):",
      "  penguinmails-mail:adminCidrs[0]: \"0.0.0.0/0\" would open SSH to the whole internet; list the addresses admins and deploy runners use",
      "  penguinmails-mail:adminSshPublicKeys: needs at least one admin SSH public key",
      "  penguinmails-mail:domain: label \"-bad\" starts or ends with a hyphen",
    ]);
  });

  it("refuses a key in a misspelt namespace, a prototype key and an alias bomb, naming each, before declaring anything", () => {
    const good = readFileSync(join(projectDir, "Pulumi.dev.yaml"), "utf8");
    const typo = plan("--stack", "t", "--program", programWithStack(`${good}  penguinmail-mail:dmarc:\n    phase: reject\n`));
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^ {2}penguinmail-mail:dmarc: is in no namespace this program or its providers read/m);
    const proto = plan("--stack", "t", "--program", programWithStack(`${good}  penguinmails-mail:__proto__:\n    polluted: true\n`));
    expect(proto.code).toBe(2);
    expect(proto.stderr).toMatch(/^ {2}penguinmails-mail:__proto__: is a reserved JavaScript property name, never a setting$/m);
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(", ")}]`)];
    const started = Date.now();
    const bomb = plan("--stack", "t", "--program", programWithStack(`config:\n${levels.map((l) => `  ${l}`).join("\n")}\n`));
    expect(bomb.code).toBe(2);
    expect(bomb.stderr).toMatch(/^error: .*Pulumi\.t\.yaml: Excessive alias count indicates a resource exhaustion attack\n$/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("shows the policy pack's report and fails on a mandatory violation", () => {
    const clean = plan("--stack", "dev", "--quiet");
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^Policies:\n.*mail-security-baseline/m);
    expect(clean.stdout).toMatch(/^0 mandatory, \d+ advisory/m);

    const configFile = join(workDir, "policy-config.json");
    writeFileSync(configFile, JSON.stringify({ "spf-softfail": "mandatory" }));
    const strict = plan("--stack", "dev", "--quiet", "--policy-pack-config", configFile);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/\[mandatory\]\s+spf-softfail/);
  });

  it("reports a missing stack file without a stack trace", () => {
    const run = plan("--stack", "does-not-exist");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: no stack file Pulumi\.does-not-exist\.yaml/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("rejects unknown flags in one line that says where the usage is", () => {
    const run = plan("--stack", "dev", "--jsno", "x.json");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("error: unknown option '--jsno' (Did you mean --json?) (npm run plan -- --help for usage)\n");
    const help = plan("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run plan -- \[options\]/);
    expect(help.stdout).toMatch(/--stack <name>/);
  });
});
