// The tools' output directory checks that need root: as any other user, --out /proc already fails
// on "cannot write in /", before the kernel file system check this test is about. The rest of the
// output path tests are in test/unit/tools/outputFiles.test.ts.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkOutputDirectory } from "../../../tools/cli/outputFiles";
import { outputPathRefusal, scratchDirectories } from "../../support/tools/outputPaths";

const tempDir = scratchDirectories();

describe("output directories", () => {
  it("refuse a file output that lies inside the directory, and kernel file systems", () => {
    const out = path.join(tempDir(), "d");
    expect(outputPathRefusal(() => checkOutputDirectory("--out", out, "plan", [{ option: "--json", file: path.join(out, "plan.json") }]))).toBe(
      `--out ${out}: --json ${out}/plan.json lies inside it, and --out replaces the directory whole`,
    );
    expect(outputPathRefusal(() => checkOutputDirectory("--out", "/proc", "plan"))).toBe("--out /proc: is a kernel file system, not a place for files");
    expect(outputPathRefusal(() => checkOutputDirectory("--out", "/proc/x", "plan"))).toBe("--out /proc/x: /proc is a kernel file system, not a place for files");
  });
});

describe("npm run plan on a read-only file system", () => {
  it("refuses --json there before planning: exit 4, one line naming the path", () => {
    const dir = tempDir();
    const projectDir = path.resolve(__dirname, "../../..");
    const tsx = path.join(projectDir, "node_modules/.bin/tsx");
    // A private mount namespace: the read-only bind mount is seen by this run only.
    const script = `mount --bind -o ro "${dir}" "${dir}" && mount -o remount,bind,ro "${dir}" && exec "${tsx}" tools/plan/main.ts --stack dev --json "${dir}/plan.json"`;
    const run = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], { cwd: projectDir, encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(4);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`error: --json ${dir}/plan.json: cannot write in ${dir} (a read-only file system)\n`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
