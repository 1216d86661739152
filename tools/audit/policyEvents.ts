/**
 * The audit events of a policy report: one `infrastructure.policy.violated` per violation, critical
 * when mandatory (`pulumi up` with the pack refuses the stack), a warning when advisory.
 */

import type { PolicyDiagnostic } from "../policy/evaluate";
import { describeUrn } from "../policy/render";
import type { AuditEventInput } from "./auditEvent";

export function policyViolationEvent(stack: string, diagnostic: PolicyDiagnostic, tags: readonly string[]): AuditEventInput {
  return {
    tenantId: stack,
    eventType: "infrastructure.policy.violated",
    action: "view",
    resource: diagnostic.urn ? describeUrn(diagnostic.urn).type : "stack",
    resourceId: diagnostic.urn ?? stack,
    severity: diagnostic.enforcementLevel === "mandatory" ? "critical" : "warning",
    tags: [...tags, diagnostic.policyName, diagnostic.enforcementLevel],
  };
}
