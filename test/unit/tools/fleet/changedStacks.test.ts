// Which stacks a change touches, over real git history in a temporary repository.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filesChangedSince, stacksTouchedBy } from "../../../../tools/fleet/changedStacks";
import { FleetInputError } from "../../../../tools/fleet/stacks";

const repo = mkdtempSync(join(tmpdir(), "changed-stacks-"));
const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
const write = (file: string, text: string) => {
  mkdirSync(dirname(join(repo, file)), { recursive: true });
  writeFileSync(join(repo, file), text);
};
const commit = (message: string) => {
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", message);
  return git("rev-parse", "HEAD");
};
const stacks = ["alpha", "beta", "gamma"];
const touched = (ref: string) => stacksTouchedBy(filesChangedSince(repo, ref), stacks);

let base: string;
beforeAll(() => {
  git("init", "-q");
  for (const file of ["Pulumi.yaml", "Pulumi.alpha.yaml", "Pulumi.beta.yaml", "Pulumi.gamma.yaml", "index.ts", "baseline/tls.ts", "docs/a.md", "tools/fleet/x.ts", "test/unit/x.test.ts"]) write(file, "v1\n");
  base = commit("base");
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("changed stacks", () => {
  it("touches nothing when nothing changed", () => {
    expect(touched(base)).toEqual([]);
  });

  it("touches a stack whose own file changed, and only it", () => {
    write("Pulumi.beta.yaml", "v2\n");
    const head = commit("beta");
    expect(touched(base)).toEqual(["beta"]);
    expect(touched(head)).toEqual([]);
    git("reset", "-q", "--hard", base);
  });

  it("touches no stack for docs, tests and tools", () => {
    write("docs/a.md", "v2\n");
    write("README.md", "new\n");
    write("tools/fleet/x.ts", "v2\n");
    write("test/unit/x.test.ts", "v2\n");
    write(".github/workflows/x.yml", "on: push\n");
    commit("outside the program");
    expect(touched(base)).toEqual([]);
    git("reset", "-q", "--hard", base);
  });

  it("touches every stack when the program changes (baseline, project file, dependencies)", () => {
    for (const file of ["baseline/tls.ts", "Pulumi.yaml", "package-lock.json", "policies/pack.ts"]) {
      write(file, "v2\n");
      commit(file);
      expect(touched(base), file).toEqual(stacks);
      git("reset", "-q", "--hard", base);
    }
  });

  it("counts uncommitted and untracked changes of the working tree", () => {
    write("Pulumi.gamma.yaml", "edited\n");
    write("Pulumi.delta.yaml", "new tenant\n");
    expect(filesChangedSince(repo, base)).toEqual(["Pulumi.delta.yaml", "Pulumi.gamma.yaml"]);
    expect(stacksTouchedBy(filesChangedSince(repo, base), [...stacks, "delta"])).toEqual(["gamma", "delta"]);
    git("checkout", "-q", "--", ".");
    git("clean", "-qfd");
  });

  it("leaves out a stack whose file was deleted (destroying a tenant is not a deploy)", () => {
    unlinkSync(join(repo, "Pulumi.alpha.yaml"));
    commit("remove alpha");
    expect(filesChangedSince(repo, base)).toEqual(["Pulumi.alpha.yaml"]);
    expect(stacksTouchedBy(filesChangedSince(repo, base), ["beta", "gamma"])).toEqual([]);
    git("reset", "-q", "--hard", base);
  });

  it("refuses a revision git does not know, or one that looks like an option", () => {
    expect(() => filesChangedSince(repo, "no-such-branch")).toThrow(new FleetInputError(`--changed-since no-such-branch: git finds no such commit in ${repo}`));
    expect(() => filesChangedSince(repo, "--output=/tmp/x")).toThrow(/is not a git revision/);
  });
});
