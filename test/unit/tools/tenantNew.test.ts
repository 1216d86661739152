import { spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderNextSteps } from "../../../tools/tenant/nextSteps";

const projectDir = resolve(__dirname, "../../..");
const hash = "{BLF-CRYPT}$2y$12$78EbpJUGA3jrF6TIOiK/FO5lj9Rf3MKq6H2A//lZGv0moTSMQL78q";
let workDir: string;
let programDir: string;
let keyFile: string;
let hashFile: string;

function tenantNew(...args: string[]) {
  return spawnSync(process.execPath, ["--require", "./tools/cli/typescriptLoader.cjs", "tools/tenant/main.ts", "--program", programDir, ...args], { cwd: projectDir, encoding: "utf8", timeout: 120_000 });
}

const required = (domain: string) => ["--domain", domain, "--zone-id", "0123456789abcdef0123456789abcdef", "--alert-email", `ops@${domain.toLowerCase()}`, "--admin-cidr", "203.0.113.0/28", "--admin-key", keyFile];

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), "tenant-new-"));
  programDir = join(workDir, "program");
  require("node:fs").mkdirSync(programDir);
  copyFileSync(join(projectDir, "Pulumi.yaml"), join(programDir, "Pulumi.yaml"));
  writeFileSync(join(programDir, "index.ts"), `export = require(${JSON.stringify(join(projectDir, "index.ts"))});\n`);
  const devKey = (parse(readFileSync(join(projectDir, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, string[]> }).config["penguinmails-mail:adminSshPublicKeys"]![0]!;
  keyFile = join(workDir, "admin.pub");
  writeFileSync(keyFile, `# the admins\n${devKey}\n`);
  hashFile = join(workDir, "mailbox-hashes");
  writeFileSync(hashFile, `ops@tenant-two.example:${hash}\n`, { mode: 0o600 });
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe("npm run tenant:new", () => {
  it("writes the stack file without secrets, prints the next commands, and the stack plans once its secrets are set", () => {
    const run = tenantNew(...required("Tenant-Two.example"), "--mailbox", "ops@tenant-two.example", "--mailbox-hash-file", hashFile, "--dkim-selector", "pm202612");
    // The program's notice about the domain, and nothing else.
    expect(run.stderr).toBe('warning: penguinmails-mail:domain: uppercase letters lowered: "Tenant-Two.example" is used as "tenant-two.example"\n');
    expect(run.status).toBe(0);
    const stackFile = join(programDir, "Pulumi.tenant-two.example.yaml");
    const text = readFileSync(stackFile, "utf8");
    expect(`${run.stdout}${text}`).not.toContain(hash.slice(20));
    expect(text.split("\n").filter((line) => !line.startsWith("#")).join("\n")).not.toMatch(/passwordHash|secure|acmeDnsApiToken/);
    expect((parse(text) as { config: Record<string, unknown> }).config).toEqual({
      "penguinmails-mail:domain": "tenant-two.example",
      "penguinmails-mail:region": "fra1",
      "penguinmails-mail:size": "s-1vcpu-2gb",
      "penguinmails-mail:cloudflareZoneId": "0123456789abcdef0123456789abcdef",
      "penguinmails-mail:alertEmail": "ops@tenant-two.example",
      "penguinmails-mail:adminCidrs": ["203.0.113.0/28"],
      "penguinmails-mail:adminSshPublicKeys": [expect.stringMatching(/^ssh-ed25519 /)],
      "penguinmails-mail:mailboxes": [{ address: "ops@tenant-two.example" }],
      "penguinmails-mail:dkim": { selectors: ["pm202612"], active: "pm202612" },
    });
    const stack = "--stack 'tenant-two.example'";
    for (const line of [
      "     pulumi stack init 'tenant-two.example'",
      `     pulumi config set ${stack} --secret penguinmails-mail:acmeDnsApiToken`,
      `     pulumi config set ${stack} --secret cloudflare:apiToken`,
      `     pulumi config set ${stack} --secret digitalocean:token`,
      `       | pulumi config set ${stack} --secret --path 'penguinmails-mail:mailboxes[0].passwordHash'`,
      `     npm run plan -- ${stack}`,
      `     pulumi preview ${stack} --diff --policy-pack policies`,
    ]) {
      expect(run.stdout.split("\n")).toContain(line);
    }
    expect(run.stdout).toMatch(/SMTP block/);

    // What the printed pipeline feeds pulumi for the hash: exactly the hash, no newline.
    const pipeline = run.stdout.split("\n").find((line) => line.trimStart().startsWith("awk "))!.trim().replace(/ \\$/, "");
    expect(spawnSync("bash", ["-c", pipeline], { encoding: "utf8" }).stdout).toBe(hash);

    // What `pulumi config set --secret` adds to the file: encrypted values, which the offline plan stands in.
    const withSecrets = text
      .replace("    - address: ops@tenant-two.example\n", "    - address: ops@tenant-two.example\n      passwordHash:\n        secure: v1:c2VjcmV0\n");
    writeFileSync(stackFile, withSecrets);
    appendFileSync(stackFile, "  penguinmails-mail:acmeDnsApiToken:\n    secure: v1:dG9rZW4=\n");
    const plan = spawnSync(process.execPath, ["--require", "./tools/cli/typescriptLoader.cjs", "tools/plan/main.ts", "--stack", "tenant-two.example", "--program", programDir, "--quiet"], { cwd: projectDir, encoding: "utf8", timeout: 120_000 });
    expect(plan.stderr).toBe("");
    expect(plan.status).toBe(0);
  });

  it("refuses to overwrite a stack file, in one line, and leaves it as it was", () => {
    const existing = join(programDir, "Pulumi.taken.example.yaml");
    writeFileSync(existing, "config: {}\n");
    const run = tenantNew(...required("taken.example"));
    expect(run.status).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`error: ${existing} exists; tenant:new never overwrites a stack file (edit it, or give another --stack)\n`);
    expect(readFileSync(existing, "utf8")).toBe("config: {}\n");
  });

  it("reports invalid input with the program's own messages and writes nothing", () => {
    const run = tenantNew("--domain", "tenant-three.example", "--zone-id", "not-a-zone", "--alert-email", "ops@example.org", "--admin-cidr", "0.0.0.0/0", "--admin-key", keyFile);
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split("\n")).toEqual([
      "error: invalid tenant configuration (2 problems):",
      '  penguinmails-mail:adminCidrs[0]: "0.0.0.0/0" would open SSH to the whole internet; list the addresses admins and deploy runners use',
      "  penguinmails-mail:cloudflareZoneId: must be a Cloudflare zone id: 32 lowercase hexadecimal characters",
    ]);
    expect(existsSync(join(programDir, "Pulumi.tenant-three.example.yaml"))).toBe(false);
  });

  it("names the option or file at fault in one line", () => {
    expect(tenantNew(...required("tenant-four.example"), "--mailbox", "ops@tenant-four.example")).toMatchObject({ status: 2, stderr: "error: --mailbox needs --mailbox-hash-file with a password hash for each mailbox\n" });
    expect(tenantNew(...required("tenant-four.example"), "--mailbox", "ops@tenant-four.example", "--mailbox-hash-file", hashFile)).toMatchObject({
      status: 2,
      stderr: `error: --mailbox-hash-file ${hashFile} line 1: ops@tenant-two.example is not a --mailbox\n`,
    });
    expect(tenantNew("--domain", "tenant-four.example", "--zone-id", "0123456789abcdef0123456789abcdef", "--alert-email", "a@example.org", "--admin-cidr", "203.0.113.0/28", "--admin-key", join(workDir, "missing.pub"))).toMatchObject({
      status: 2,
      stderr: `error: --admin-key ${join(workDir, "missing.pub")}: cannot be read (ENOENT)\n`,
    });
    expect(existsSync(join(programDir, "Pulumi.tenant-four.example.yaml"))).toBe(false);
  });
});

describe("renderNextSteps", () => {
  const tenant = { stack: "t.example", domain: "t.example", region: "fra1", size: "s-1vcpu-2gb", cloudflareZoneId: "0".repeat(32), alertEmail: "ops@example.org", adminCidrs: [], deployCidrs: [], adminSshPublicKeys: [], mailboxes: [], aliases: {}, dkimSelector: "pm202612" };

  it("adds the registrar's DS record step only when the program signs the zone, from its stack output where it has one", () => {
    const unsigned = renderNextSteps({ tenant, stackFile: "Pulumi.t.example.yaml", zoneSigned: false, dsRecordOutput: false });
    expect(unsigned).not.toMatch(/DS record/);
    const signed = renderNextSteps({ tenant, stackFile: "Pulumi.t.example.yaml", zoneSigned: true, dsRecordOutput: true });
    expect(signed).toMatch(/^ {2}5\. After the first `pulumi up`, publish the zone's DS record at the domain's registrar:\n {5}pulumi stack output --stack 't\.example' dnssecDsRecord$/m);
    expect(renderNextSteps({ tenant, stackFile: "f", zoneSigned: true, dsRecordOutput: false })).toMatch(/DNS -> Settings -> DNSSEC for t\.example/);
  });
});
