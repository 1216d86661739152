/**
 * The program as it was at a git ref, written out whole into a temporary directory (`git archive`,
 * so the repository's worktrees, index and branches are left alone) with the working tree's
 * node_modules linked in: the base side runs on the same installed SDKs and providers, so the
 * diff shows what the change does, not what a reinstall would.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

/** A ref that is not a commit, a directory outside git, a git that fails: a user error. */
export class BaseTreeError extends Error {
  override name = "BaseTreeError";
}

/** The branches whose merge base with HEAD is the default base, in the order tried. */
export const defaultBaseBranches = ["main", "origin/main"] as const;

function git(cwd: string, args: readonly string[]): string {
  const run = spawnSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new BaseTreeError(`git ${args[0]}: ${run.error.message}`);
  if (run.status !== 0) throw new BaseTreeError(`git ${args.join(" ")}: ${(run.stderr || run.stdout).trim().split("\n")[0]}`);
  return run.stdout.trim();
}

function isCommit(cwd: string, ref: string): boolean {
  return spawnSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd, encoding: "utf8" }).status === 0;
}

export interface ResolvedBase {
  /** As the user named it, or `merge-base(HEAD, main)`. */
  readonly label: string;
  readonly commit: string;
}

/** The commit to diff against: `ref`, or the merge base of HEAD with main (else origin/main). */
export function resolveBase(programDir: string, ref: string | undefined): ResolvedBase {
  git(programDir, ["rev-parse", "--show-toplevel"]);
  if (ref !== undefined) {
    if (ref.startsWith("-") || !isCommit(programDir, ref)) throw new BaseTreeError(`--base ${JSON.stringify(ref.slice(0, 80))}: not a commit in this repository`);
    return { label: ref, commit: git(programDir, ["rev-parse", `${ref}^{commit}`]) };
  }
  const branch = defaultBaseBranches.find((candidate) => isCommit(programDir, candidate));
  if (!branch) throw new BaseTreeError(`no ${defaultBaseBranches.join(" or ")} branch to find the merge base with; give --base <git ref>`);
  return { label: `merge-base(HEAD, ${branch})`, commit: git(programDir, ["merge-base", "HEAD", branch]) };
}

/** Paths that differ between the commit and the working tree (untracked files included), relative to the program. */
export function changedPaths(programDir: string, commit: string): string[] {
  const tracked = git(programDir, ["diff", "--name-only", "--relative", commit, "--"]);
  const untracked = git(programDir, ["ls-files", "--others", "--exclude-standard"]);
  return [...new Set([...tracked.split("\n"), ...untracked.split("\n")].filter((path) => path !== ""))].sort();
}

export interface BaseTree {
  /** The program directory as it was at the base commit. */
  readonly programDir: string;
  remove(): void;
}

/** Writes the commit's tree into a temporary directory; `remove()` deletes it (never the linked node_modules). */
export function materializeBase(programDir: string, commit: string): BaseTree {
  const top = git(programDir, ["rev-parse", "--show-toplevel"]);
  const root = mkdtempSync(join(tmpdir(), "penguinmails-diff-base-"));
  const remove = (): void => rmSync(root, { recursive: true, force: true });
  try {
    const archive = execFileSync("git", ["archive", "--format=tar", commit], { cwd: top, maxBuffer: 512 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", root], { input: archive });
    // node_modules of the repository root and of any workspace folder, as installed now.
    const linked = [".", ...readdirSync(top, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name)];
    for (const dir of linked) {
      const modules = join(top, dir, "node_modules");
      const link = join(root, dir, "node_modules");
      if (dir !== "node_modules" && existsSync(modules) && existsSync(join(root, dir)) && !existsSync(link)) symlinkSync(modules, link, "dir");
    }
  } catch (error) {
    remove();
    if (error instanceof BaseTreeError) throw error;
    throw new BaseTreeError(`cannot write the tree of ${commit.slice(0, 12)}: ${(error as Error).message.split("\n")[0]}`);
  }
  return { programDir: join(root, relative(top, realpathSync(programDir))), remove };
}
