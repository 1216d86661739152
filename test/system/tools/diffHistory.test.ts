/**
 * `npm run diff` over real git history: the project copied into a temporary repository, each
 * change committed on a branch of its own, and the diff run there against the merge base with
 * main (or a ref given with --base), as a pull request would be.
 */

import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const projectDir = resolve(__dirname, "../../..");
let repo: string;
let outDir: string;

function git(...args: string[]): string {
  const run = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`git ${args.join(" ")}: ${run.stderr}`);
  return run.stdout.trim();
}

/** The project as its working tree has it (tracked and untracked files, nothing ignored). */
function copyProject(to: string): void {
  const listing = spawnSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: projectDir, encoding: "utf8" });
  for (const path of listing.stdout.split("\0").filter((p) => p !== "")) {
    const from = join(projectDir, path);
    let stat;
    try {
      stat = statSync(from);
    } catch {
      continue; // listed by git, deleted in the working tree
    }
    if (!stat.isFile()) continue;
    mkdirSync(dirname(join(to, path)), { recursive: true });
    copyFileSync(from, join(to, path));
    chmodSync(join(to, path), stat.mode);
  }
  symlinkSync(join(projectDir, "node_modules"), join(to, "node_modules"), "dir");
}

/** A branch off main with one change committed. */
function branch(name: string, change: () => void, from = "main"): void {
  git("checkout", "-q", "-b", name, from);
  change();
  git("add", "-A");
  git("commit", "-q", "-m", name);
}

function edit(path: string, from: string | RegExp, to: string): void {
  const file = join(repo, path);
  const text = readFileSync(file, "utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${path}: ${String(from)} not found`);
  writeFileSync(file, next);
}

interface DiffRun {
  status: number | null;
  stdout: string;
  stderr: string;
  json: { exitCode: number; stacks: Array<Record<string, any>> };
  markdown: string;
}

function diff(name: string, ...args: string[]): DiffRun {
  const json = join(outDir, `${name}.json`);
  const markdown = join(outDir, `${name}.md`);
  const run = spawnSync(process.execPath, ["--require", "./tools/cli/typescriptLoader.cjs", "tools/diff/main.ts", ...args, "--json", json, "--markdown", markdown], { cwd: repo, encoding: "utf8", timeout: 180_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, json: JSON.parse(readFileSync(json, "utf8")), markdown: readFileSync(markdown, "utf8") };
}

const dev = (run: DiffRun) => run.json.stacks.find((s) => s.stack === "dev")!;
const baseDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith("penguinmails-diff-base-"));
let baseDirsBefore: string[];

beforeAll(() => {
  baseDirsBefore = baseDirs();
  repo = mkdtempSync(join(tmpdir(), "diff-history-"));
  outDir = mkdtempSync(join(tmpdir(), "diff-history-out-"));
  copyProject(repo);
  git("init", "-q", "-b", "main");
  git("config", "user.email", "reviewer@example.org");
  git("config", "user.name", "Reviewer");
  git("add", "-A");
  git("commit", "-q", "-m", "base");
});

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
});

describe("npm run diff over git history", () => {
  it("a TLS setting change: the host files that carry the cipher list change, the host configuration is re-applied, nothing is replaced", () => {
    branch("tls-ciphers", () => edit("baseline/tls.ts", /\n\s*"ECDHE-ECDSA-CHACHA20-POLY1305",\n\s*"ECDHE-RSA-CHACHA20-POLY1305",/, ""));
    const run = diff("tls", "--stack", "dev");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(1);
    const stack = dev(run);
    expect(stack.status).toBe("changed");
    expect(stack.loud).toEqual([]);
    expect(stack.counts).toMatchObject({ create: 0, delete: 0 });
    expect(stack.resources.map((r: any) => `${r.kind} ${r.type}`)).toEqual(["update command:remote:CopyToRemote", "replace command:remote:Command"]);
    const changed = stack.hostFiles.files.filter((f: any) => f.diff);
    expect(changed.map((f: any) => f.path)).toEqual(expect.arrayContaining(["/etc/postfix/main.cf", "/etc/dovecot/dovecot.conf"]));
    for (const file of changed) {
      const lines = (file.diff as string).split("\n");
      expect(lines.some((l) => l.startsWith("-") && !l.startsWith("---") && l.includes("CHACHA20-POLY1305")), file.path).toBe(true);
      expect(lines.some((l) => l.startsWith("+") && !l.startsWith("+++") && l.includes("CHACHA20-POLY1305")), file.path).toBe(false);
    }
    expect(stack.dns.diff).toBeUndefined();
    expect(stack.policy.introduced).toEqual([]);
    expect(run.stdout).toMatch(/^Stack dev: 1 to replace, 1 to update, 0 to create, 0 to delete, \d+ unchanged$/m);
    expect(run.markdown).toMatch(/^\| `dev` \| changes \| \*\*1\*\* \| 1 \| 0 \| 0 \| \d+ \| 0 \| 0 → 0 \|$/m);
  });

  it("a new mailbox: its address reaches Postfix's maps, its hash only as a secret file that changes", () => {
    branch("new-mailbox", () =>
      edit("Pulumi.dev.yaml", "  penguinmails-mail:dkim:", "    - address: alice@tenant-one.example\n      passwordHash:\n        secure: v1:YWxpY2UncyBoYXNo\n  penguinmails-mail:dkim:"),
    );
    const run = diff("mailbox", "--stack", "dev");
    expect(run.status).toBe(1);
    const stack = dev(run);
    expect(stack.loud).toEqual([]);
    expect(stack.counts).toMatchObject({ create: 0, delete: 0, replace: 1 });
    const files = stack.hostFiles.files as Array<{ path: string; change: string; secret: boolean; diff?: string }>;
    const secretChanges = files.filter((f) => f.secret);
    expect(secretChanges.length).toBeGreaterThan(0);
    for (const file of secretChanges) expect(file).toEqual({ path: file.path, change: "changed", secret: true, attributes: [] });
    expect(files.some((f) => f.diff?.split("\n").some((l) => /^\+alice@tenant-one\.example\s/.test(l)))).toBe(true);
    expect(JSON.stringify(run.json) + run.stdout + run.markdown).not.toMatch(/\$2y\$12\$|YWxpY2UncyBoYXNo/);
    expect(run.stdout).toMatch(/\[secret\]/);
  });

  it("a region change: the droplet is replaced, loudly, and what depends on its addresses becomes unknown", () => {
    branch("region", () => edit("Pulumi.dev.yaml", "penguinmails-mail:region: fra1", "penguinmails-mail:region: ams3"));
    const auditLog = join(outDir, "region-audit.jsonl");
    const run = diff("region", "--stack", "dev", "--audit-log", auditLog);
    expect(run.status).toBe(1);
    const events = readFileSync(auditLog, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, any>);
    expect(events.find((e) => e.eventType === "infrastructure.vps.replaced")).toMatchObject({
      tenantId: "tenant-one.example",
      eventCategory: "infrastructure",
      action: "replace",
      severity: "critical",
      changeset: { before: { region: "fra1" }, after: { region: "ams3" } },
      tags: expect.arrayContaining(["diff", "planned"]),
    });
    expect(events.filter((e) => e.eventType === "infrastructure.dns.changed").length).toBeGreaterThan(0);
    const stack = dev(run);
    expect(stack.loud.map((l: any) => l.title)).toEqual(["The mail server's droplet is REPLACED (region \"fra1\" -> \"ams3\")"]);
    const droplet = stack.resources.find((r: any) => r.type === "digitalocean:index/droplet:Droplet");
    expect(droplet).toMatchObject({ kind: "replace", properties: [expect.objectContaining({ property: "region", before: "fra1", after: "ams3", replaces: expect.stringMatching(/^region forces a new resource/) })] });
    expect(stack.dns.diff).toMatch(/^\+mail\.tenant-one\.example\. \d+ IN A \(known after Droplet \S+ is replaced\)$/m);
    expect(stack.resources.filter((r: any) => r.type === "command:remote:CopyToRemote").map((r: any) => r.kind)).toEqual(["replace"]);
    expect(run.stdout).toMatch(/^!! The mail server's droplet is REPLACED \(region "fra1" -> "ams3"\)$/m);
    expect(run.markdown).toMatch(/^> \[!CAUTION\]\n> \*\*dev\*\*: The mail server's droplet is REPLACED/m);
  });

  it("a DKIM selector rotation: the next selector's key and record are created and signing moves to it; retiring the old one is loud", () => {
    branch("dkim-next", () => edit("Pulumi.dev.yaml", /selectors:\n(\s+)- pm202611\n(\s+)active: pm202611/, "selectors:\n$1- pm202611\n$1- pm202702\n$2active: pm202702"));
    const run = diff("dkim", "--stack", "dev");
    expect(run.status).toBe(1);
    const stack = dev(run);
    expect(stack.loud).toEqual([]);
    expect(stack.resources.filter((r: any) => r.kind === "create").map((r: any) => `${r.type} ${r.name}`)).toEqual([
      "tls:index/privateKey:PrivateKey tenant-one-example-dkim-pm202702",
      "cloudflare:index/dnsRecord:DnsRecord tenant-one-example-dns-dkim-pm202702",
    ]);
    expect(stack.dns.diff).toMatch(/^\+pm202702\._domainkey\.tenant-one\.example\. \d+ IN TXT "v=DKIM1; k=rsa; p=/m);
    const files = stack.hostFiles.files as Array<{ path: string; change: string; secret: boolean; diff?: string }>;
    expect(files.filter((f) => f.secret && f.change === "added").map((f) => f.path)).toEqual([expect.stringContaining("pm202702")]);
    expect(files.some((f) => f.diff?.split("\n").some((l) => l.startsWith("+") && !l.startsWith("+++") && l.includes("pm202702")))).toBe(true);

    branch("dkim-retire", () => edit("Pulumi.dev.yaml", /\n\s+- pm202611\n/, "\n"), "dkim-next");
    const retire = diff("dkim-retire", "--stack", "dev", "--base", "dkim-next");
    expect(retire.status).toBe(1);
    expect(dev(retire).loud.map((l: any) => l.title)).toEqual(["The DKIM key of selector pm202611 is DELETED, and its record withdrawn"]);
    expect(dev(retire).dns.diff).toMatch(/^-pm202611\._domainkey\./m);
  });

  it("--all: a stack whose files did not change is not planned, a new one is all creates, a broken one fails alone, and the exit is 2", () => {
    const devStack = readFileSync(join(repo, "Pulumi.dev.yaml"), "utf8");
    branch("stacks", () => {
      writeFileSync(join(repo, "Pulumi.two.yaml"), devStack.split("tenant-one.example").join("tenant-two.example"));
      writeFileSync(join(repo, "Pulumi.broken.yaml"), devStack.split("tenant-one.example").join("-bad.example"));
    });
    const run = diff("all", "--all");
    expect(run.status).toBe(2);
    expect(run.json.stacks.map((s) => [s.stack, s.status])).toEqual([["broken", "error"], ["dev", "unchanged"], ["two", "added"]]);
    expect(run.json.stacks[0]).toMatchObject({ side: "head", error: expect.stringMatching(/^invalid tenant configuration/) });
    expect(run.json.stacks[2].counts).toMatchObject({ delete: 0, update: 0, replace: 0 });
    expect(run.json.stacks[2].counts.create).toBeGreaterThan(20);
    expect(run.stdout).toMatch(/^Stack dev: unchanged \(neither the program nor its stack file changed\)$/m);
    expect(run.stdout).toMatch(/^3 stacks: 1 change, 1 unchanged, 1 cannot be planned$/m);
    expect(run.markdown).toMatch(/^### Offline diff: 1 of 3 stacks change, 1 cannot be planned$/m);
  });

  it("no change: exit 0; and the base tree it wrote is gone afterwards", () => {
    git("checkout", "-q", "main");
    const run = diff("none", "--stack", "dev");
    expect(run.status).toBe(0);
    expect(dev(run).status).toBe("unchanged");
    expect(baseDirs().filter((dir) => !baseDirsBefore.includes(dir))).toEqual([]);
  });

  it("a ref that is not a commit is an error in one line", () => {
    const json = join(outDir, "bad.json");
    const run = spawnSync(process.execPath, ["--require", "./tools/cli/typescriptLoader.cjs", "tools/diff/main.ts", "--stack", "dev", "--base", "no-such-ref", "--json", json], { cwd: repo, encoding: "utf8", timeout: 60_000 });
    expect(run).toMatchObject({ status: 2, stdout: "", stderr: 'error: --base "no-such-ref": not a commit in this repository\n' });
  });
});
