/** The fleet run's summary: one row per stack, then the counts. */

import type { OpMap } from "@pulumi/pulumi/automation";
import type { Operation } from "./operations";
import type { StackOutcome, StackStatus } from "./stackOperation";

/** Step kinds in the order an operator reads them; "same" is shown as unchanged. */
const changeOrder = ["create", "update", "replace", "delete", "create-replacement", "delete-replaced", "import", "read", "refresh", "discard"] as const;

/** `create 2, update 1, 5 unchanged`, or `no changes`. */
export function describeChanges(changes: OpMap | undefined): string {
  if (changes === undefined) return "";
  const counted = Object.entries(changes).filter(([, count]) => (count ?? 0) > 0);
  const ordered = [...counted].sort(([a], [b]) => rank(a) - rank(b));
  const parts = ordered.filter(([kind]) => kind !== "same").map(([kind, count]) => `${kind} ${count}`);
  const same = changes.same ?? 0;
  if (parts.length === 0) return same > 0 ? `no changes (${same} unchanged)` : "no changes";
  return same > 0 ? `${parts.join(", ")}, ${same} unchanged` : parts.join(", ");
}

function rank(kind: string): number {
  const index = (changeOrder as readonly string[]).indexOf(kind);
  return index < 0 ? changeOrder.length : index;
}

function describeOutcome(outcome: StackOutcome): string {
  if (outcome.status === "succeeded") return describeChanges(outcome.changes);
  return outcome.error ?? "";
}

function seconds(durationMs: number | undefined): string {
  return durationMs === undefined ? "" : `${(durationMs / 1000).toFixed(1)} s`;
}

/** One line as a stack settles, for the progress of a long run. */
export function renderProgressLine(operation: Operation, outcome: StackOutcome, settled: number, total: number): string {
  const detail = describeOutcome(outcome);
  const time = outcome.durationMs === undefined ? "" : ` in ${seconds(outcome.durationMs)}`;
  return `[${settled}/${total}] ${outcome.stack}: ${operation} ${outcome.status}${time}${detail ? `: ${detail}` : ""}`;
}

const statusOrder: readonly StackStatus[] = ["succeeded", "failed", "cancelled", "not started"];

export function renderSummary(operation: Operation, outcomes: readonly StackOutcome[]): string {
  const header = ["stack", "result", "changes or error", "time", "log"];
  const rows = outcomes.map((outcome) => [outcome.stack, outcome.status, describeOutcome(outcome), seconds(outcome.durationMs), outcome.logFile ?? ""]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ").trimEnd();
  const counts = statusOrder
    .map((status) => [status, outcomes.filter((outcome) => outcome.status === status).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`);
  return [`Fleet ${operation} of ${outcomes.length} stack${outcomes.length === 1 ? "" : "s"}:`, line(header), ...rows.map(line), "", counts.join(", ")].join("\n");
}
