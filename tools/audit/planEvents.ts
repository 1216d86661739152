/**
 * What an offline plan records: that a stack was planned (with its resource count and policy
 * counts as tags) or could not be, and every policy violation. A plan changes nothing, so its
 * events are views; what a change would do is the diff's to record (diffEvents.ts).
 */

import type { PolicyReport } from "../policy/evaluate";
import type { AuditEventInput } from "./auditEvent";
import { policyViolationEvent } from "./policyEvents";

const planTags = ["plan", "offline"] as const;

export function stackPlannedEvents(stack: string, resourceCount: number, report: PolicyReport): AuditEventInput[] {
  return [
    {
      tenantId: stack,
      eventType: "infrastructure.stack.planned",
      action: "view",
      resource: "stack",
      resourceId: stack,
      severity: report.mandatoryCount > 0 ? "critical" : "info",
      tags: [...planTags, `resources:${resourceCount}`, `mandatory:${report.mandatoryCount}`, `advisory:${report.advisoryCount}`],
    },
    ...report.diagnostics.map((diagnostic) => policyViolationEvent(stack, diagnostic, planTags)),
  ];
}

/** The stack's config or program failed: nothing could be planned, so nothing can be deployed. */
export function stackPlanFailedEvent(stack: string, message: string): AuditEventInput {
  return {
    tenantId: stack,
    eventType: "infrastructure.stack.plan_failed",
    action: "view",
    resource: "stack",
    resourceId: stack,
    severity: "warning",
    tags: [...planTags, message.split("\n")[0]!.slice(0, 200)],
  };
}
