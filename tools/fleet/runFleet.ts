/**
 * Runs one job per stack with at most `parallel` at a time, in the order given. A stack's failure
 * is its outcome and the others go on; once cancelled, no further stack starts.
 */

import type { StackOutcome } from "./stackOperation";

export interface FleetRunOptions {
  readonly stacks: readonly string[];
  readonly parallel: number;
  readonly cancelled: () => boolean;
  readonly runStack: (stack: string) => Promise<StackOutcome>;
  /** Called as each stack settles, in the order they settle. */
  readonly onOutcome?: (outcome: StackOutcome) => void;
}

/** The outcome of every stack, in the order of `stacks`; those never started are "not started". */
export async function runFleet(options: FleetRunOptions): Promise<StackOutcome[]> {
  const outcomes = new Map<string, StackOutcome>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < options.stacks.length && !options.cancelled()) {
      const stack = options.stacks[next++]!;
      const outcome = await options.runStack(stack).catch((error: unknown): StackOutcome => ({ stack, status: "failed", error: error instanceof Error ? error.message : String(error) }));
      outcomes.set(stack, outcome);
      options.onOutcome?.(outcome);
    }
  };
  const lanes = Math.max(1, Math.min(options.parallel, options.stacks.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return options.stacks.map((stack) => outcomes.get(stack) ?? { stack, status: "not started" });
}
