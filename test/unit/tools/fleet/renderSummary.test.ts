// The summary an operator reads at the end of a fleet run.
import { describe, expect, it } from "vitest";
import { describeChanges, renderProgressLine, renderSummary } from "../../../../tools/fleet/renderSummary";

describe("fleet summary", () => {
  it("describes changes in the order an operator reads them", () => {
    expect(describeChanges({ same: 5, delete: 1, create: 2, replace: 1 })).toBe("create 2, replace 1, delete 1, 5 unchanged");
    expect(describeChanges({ same: 5 })).toBe("no changes (5 unchanged)");
    expect(describeChanges({})).toBe("no changes");
    expect(describeChanges(undefined)).toBe("");
  });

  it("prints one aligned row per stack and the counts", () => {
    const text = renderSummary("up", [
      { stack: "alpha", status: "succeeded", changes: { create: 3 }, durationMs: 1234, logFile: "/logs/alpha.log" },
      { stack: "b", status: "failed", error: "error: quota exceeded", durationMs: 500, logFile: "/logs/b.log" },
      { stack: "c", status: "not started" },
    ]);
    expect(text.split("\n")).toEqual([
      "Fleet up of 3 stacks:",
      "stack  result       changes or error       time   log",
      "alpha  succeeded    create 3               1.2 s  /logs/alpha.log",
      "b      failed       error: quota exceeded  0.5 s  /logs/b.log",
      "c      not started",
      "",
      "1 succeeded, 1 failed, 1 not started",
    ]);
  });

  it("prints a progress line as each stack settles", () => {
    expect(renderProgressLine("refresh", { stack: "a", status: "succeeded", changes: { same: 2 }, durationMs: 2000 }, 3, 10)).toBe("[3/10] a: refresh succeeded in 2.0 s: no changes (2 unchanged)");
  });
});
