// The fleet's lanes: at most `parallel` stacks at once, every outcome kept, no start after a cancel.
import { describe, expect, it } from "vitest";
import { runFleet } from "../../../../tools/fleet/runFleet";
import type { StackOutcome } from "../../../../tools/fleet/stackOperation";

const stacks = ["a", "b", "c", "d", "e", "f", "g"];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("runFleet", () => {
  it("runs every stack with at most `parallel` at a time, and uses every lane", async () => {
    let running = 0;
    let most = 0;
    const outcomes = await runFleet({
      stacks,
      parallel: 3,
      cancelled: () => false,
      runStack: async (stack) => {
        running += 1;
        most = Math.max(most, running);
        await pause(stack === "a" ? 30 : 10);
        running -= 1;
        return { stack, status: "succeeded" };
      },
    });
    expect(most).toBe(3);
    expect(outcomes.map((outcome) => outcome.stack)).toEqual(stacks);
    expect(outcomes.every((outcome) => outcome.status === "succeeded")).toBe(true);
  });

  it("keeps going past a failed stack and one whose job throws", async () => {
    const settled: string[] = [];
    const outcomes = await runFleet({
      stacks: ["a", "b", "c"],
      parallel: 1,
      cancelled: () => false,
      runStack: async (stack): Promise<StackOutcome> => {
        if (stack === "a") return { stack, status: "failed", error: "error: no" };
        if (stack === "b") throw new Error("boom");
        return { stack, status: "succeeded" };
      },
      onOutcome: (outcome) => settled.push(outcome.stack),
    });
    expect(settled).toEqual(["a", "b", "c"]);
    expect(outcomes.map((outcome) => [outcome.stack, outcome.status, outcome.error])).toEqual([
      ["a", "failed", "error: no"],
      ["b", "failed", "boom"],
      ["c", "succeeded", undefined],
    ]);
  });

  it("starts no stack once cancelled and reports the rest as not started", async () => {
    let cancelled = false;
    const started: string[] = [];
    const outcomes = await runFleet({
      stacks,
      parallel: 2,
      cancelled: () => cancelled,
      runStack: async (stack) => {
        started.push(stack);
        if (stack === "b") cancelled = true;
        await pause(5);
        return { stack, status: cancelled ? "cancelled" : "succeeded" };
      },
    });
    expect(started).toEqual(["a", "b"]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["cancelled", "cancelled", "not started", "not started", "not started", "not started", "not started"]);
  });
});
