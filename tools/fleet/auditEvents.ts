/**
 * The audit event of one stack operation's outcome, from the result summary the Automation API
 * returns (Pulumi's resourceChanges). A stack never started leaves no event: nothing happened.
 */

import type { OpMap } from "@pulumi/pulumi/automation";
import type { AuditEventInput, AuditSeverity } from "../audit/auditEvent";
import type { Operation } from "./operations";
import type { StackOutcome } from "./stackOperation";

/** Step kinds that change something: every kind but "same" (and "read", which only looks). */
function changeCount(changes: OpMap): number {
  return Object.entries(changes)
    .filter(([kind]) => kind !== "same" && kind !== "read")
    .reduce((sum, [, count]) => sum + (count ?? 0), 0);
}

function changeTags(changes: OpMap | undefined): string[] {
  return Object.entries(changes ?? {})
    .filter(([, count]) => (count ?? 0) > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind}:${count}`);
}

/** A first up creates everything: nothing was there to keep, change or remove. */
function isProvisioning(changes: OpMap): boolean {
  return (changes.create ?? 0) > 0 && Object.entries(changes).every(([kind, count]) => kind === "create" || (count ?? 0) === 0);
}

type Outcome = Pick<AuditEventInput, "eventType" | "action" | "severity">;

function succeeded(operation: Operation, changes: OpMap): Outcome {
  const changed = changeCount(changes) > 0;
  switch (operation) {
    case "preview":
      return { eventType: "infrastructure.stack.previewed", action: "view", severity: "info" };
    case "up":
      if (!changed) return { eventType: "infrastructure.stack.unchanged", action: "view", severity: "info" };
      if (isProvisioning(changes)) return { eventType: "infrastructure.stack.provisioned", action: "create", severity: "info" };
      return { eventType: "infrastructure.stack.updated", action: (changes.replace ?? 0) > 0 ? "replace" : "update", severity: "info" };
    case "refresh":
      // A refresh that changes the state found the cloud changed behind Pulumi's back: drift.
      return changed
        ? { eventType: "infrastructure.stack.drift_adopted", action: "update", severity: "warning" }
        : { eventType: "infrastructure.stack.refreshed", action: "view", severity: "info" };
  }
}

/** A failed or cancelled up may leave a half-applied host or DNS: critical. Elsewhere a warning. */
function unfinishedSeverity(operation: Operation): AuditSeverity {
  return operation === "up" ? "critical" : "warning";
}

export function stackAuditEvent(operation: Operation, outcome: StackOutcome): AuditEventInput | undefined {
  const common = { tenantId: outcome.stack, resource: "stack", resourceId: outcome.stack };
  const tags = ["fleet", operation, ...changeTags(outcome.changes)];
  switch (outcome.status) {
    case "not started":
      return undefined;
    case "succeeded":
      return { ...common, ...succeeded(operation, outcome.changes ?? {}), tags };
    case "failed":
      return { ...common, eventType: `infrastructure.stack.${operation}_failed`, action: operation === "preview" ? "view" : "update", severity: unfinishedSeverity(operation), tags };
    case "cancelled":
      return { ...common, eventType: `infrastructure.stack.${operation}_cancelled`, action: operation === "preview" ? "view" : "update", severity: unfinishedSeverity(operation), tags };
  }
}
