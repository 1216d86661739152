/**
 * The diff of each stack, one after another in this process: the base tree's program and pack on
 * the base side, the head's on the head side (Node loads each tree's modules once; both share the
 * installed SDKs). Only the stack at hand is held; a stack that fails on a side is reported and
 * the run goes on.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { listStacks } from "../mockRuntime/stackConfig";
import { describeFailure } from "../policy/failures";
import { diffStack, type StackDiff } from "./stackDiff";
import { loadTreePolicies, snapshotStack, type SidePolicies, type StackSnapshot } from "./stackSnapshot";

export type StackOutcome =
  | { readonly stack: string; readonly kind: "diff"; readonly diff: StackDiff }
  /** Not planned: neither the program nor its stack file differ, so both plans are the same. */
  | { readonly stack: string; readonly kind: "skipped"; readonly reason: string }
  | { readonly stack: string; readonly kind: "error"; readonly side: "base" | "head"; readonly message: string };

export interface DiffRunOptions {
  readonly baseProgramDir: string;
  readonly headProgramDir: string;
  /** The stacks to diff; all of both trees with --all. */
  readonly stacks: readonly string[];
  /**
   * Paths (relative to the program) that differ between base and head; when only stack files
   * are among them, a stack whose file is not is the same on both sides and is not planned.
   */
  readonly changedPaths: readonly string[];
  readonly policyPackConfig?: string;
  readonly timeoutMs: number;
}

const stackFilePattern = /^Pulumi\.(.+)\.ya?ml$/;

/** Every stack with a file in either tree. */
export function stacksOfBothTrees(baseProgramDir: string, headProgramDir: string): string[] {
  return [...new Set([...listStacks(baseProgramDir), ...listStacks(headProgramDir)])].sort();
}

function hasStackFile(programDir: string, stack: string): boolean {
  return existsSync(join(programDir, `Pulumi.${stack}.yaml`)) || existsSync(join(programDir, `Pulumi.${stack}.yml`));
}

/** The stacks whose plan cannot differ, or undefined when the program itself changed. */
function unchangedProgramStacks(changedPaths: readonly string[]): ((stack: string) => boolean) | undefined {
  const changedStacks = changedPaths.map((path) => stackFilePattern.exec(path)?.[1]);
  if (changedStacks.some((stack) => stack === undefined)) return undefined;
  const changed = new Set(changedStacks);
  return (stack) => !changed.has(stack);
}

/** Diffs each stack in turn and hands its outcome to `onStack`; nothing is kept here. */
export async function diffStacks(options: DiffRunOptions & { readonly onStack: (outcome: StackOutcome) => void }): Promise<void> {
  const basePolicies: SidePolicies | undefined = loadTreePolicies(options.baseProgramDir);
  const headPolicies: SidePolicies | undefined = loadTreePolicies(options.headProgramDir);
  const unchanged = unchangedProgramStacks(options.changedPaths);

  const snapshot = async (side: "base" | "head", stack: string): Promise<StackSnapshot | undefined> => {
    const programDir = side === "base" ? options.baseProgramDir : options.headProgramDir;
    if (!hasStackFile(programDir, stack)) return undefined;
    const policies = side === "base" ? (basePolicies ?? headPolicies) : headPolicies;
    return snapshotStack({ programDir, stack, timeoutMs: options.timeoutMs, ...(policies ? { policies } : {}), ...(options.policyPackConfig ? { policyPackConfig: options.policyPackConfig } : {}) });
  };

  for (const stack of options.stacks) {
    let outcome: StackOutcome;
    if (unchanged?.(stack) && hasStackFile(options.baseProgramDir, stack) && hasStackFile(options.headProgramDir, stack)) {
      outcome = { stack, kind: "skipped", reason: "neither the program nor its stack file changed" };
    } else {
      let side: "base" | "head" = "base";
      try {
        const base = await snapshot("base", stack);
        side = "head";
        const head = await snapshot("head", stack);
        if (!base && !head) throw new Error(`no Pulumi.${stack}.yaml in either tree`);
        outcome = { stack, kind: "diff", diff: await diffStack(stack, base, head, options.headProgramDir) };
      } catch (error) {
        outcome = { stack, kind: "error", side, message: describeFailure(error).message.replace(/^error: /, "") };
      }
    }
    options.onStack(outcome);
  }
}
