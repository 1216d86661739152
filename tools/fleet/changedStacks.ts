/**
 * Which stacks a change touches, from the files it changes: a stack's own Pulumi.<stack>.yaml
 * touches that stack, any file the deployed program loads touches every stack. Deciding by file is
 * conservative on purpose: an up too many is a no-op, an up too few leaves a tenant behind.
 */

import { execFileSync } from "node:child_process";
import { FleetInputError, stackOfFile } from "./stacks";

/**
 * Files the deployed program never loads. docs/architecture.md's layer table puts tools/ above the
 * stack entry (the layer test enforces it), and tests, docs and CI settings are not imported by
 * anything under index.ts. Everything else (index.ts, Pulumi.yaml, baseline/, tenant/, hostBundle/,
 * components/, policies/, package.json, the lockfile, tsconfig.json) can change what every stack
 * deploys or how the policy pack judges it.
 */
const outsideTheProgram: readonly RegExp[] = [/^docs\//, /^test\//, /^tools\//, /^\.github\//, /^\.ci\//, /\.md$/, /^\.gitignore$/, /^vitest\.config\.mts$/];

/** The stacks among `stacks` that a change of `changedFiles` (relative to the program) touches. */
export function stacksTouchedBy(changedFiles: readonly string[], stacks: readonly string[]): string[] {
  const programChanged = changedFiles.some((file) => stackOfFile(file) === undefined && !outsideTheProgram.some((pattern) => pattern.test(file)));
  if (programChanged) return [...stacks];
  const touched = new Set(changedFiles.map(stackOfFile));
  return stacks.filter((stack) => touched.has(stack));
}

function git(programDir: string, args: readonly string[]): string {
  return execFileSync("git", ["-C", programDir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/**
 * Files that differ between `ref` and the working tree of the program directory (committed,
 * staged, unstaged and untracked), relative to the program directory.
 */
export function filesChangedSince(programDir: string, ref: string): string[] {
  if (!/^[A-Za-z0-9_.\/@{}~^][A-Za-z0-9_.\/@{}~^-]{0,199}$/.test(ref)) throw new FleetInputError(`--changed-since ${JSON.stringify(ref.slice(0, 60))} is not a git revision`);
  let commit: string;
  try {
    commit = git(programDir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).trim();
  } catch {
    throw new FleetInputError(`--changed-since ${ref}: git finds no such commit in ${programDir}`);
  }
  const changed = git(programDir, ["diff", "--name-only", "--no-renames", "--relative", commit, "--"]);
  const untracked = git(programDir, ["ls-files", "--others", "--exclude-standard"]);
  return [...new Set(`${changed}${untracked}`.split("\n").filter((line) => line.length > 0))].sort();
}
