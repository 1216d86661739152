/**
 * The policy report of both sides, and what the change brings: violations the head has and the
 * base had not (by policy and resource), and the ones it resolves. Each side is judged by its own
 * tree's pack, so a new policy that flags existing resources shows as new too: merging makes it bite.
 */

import type { PolicyDiagnostic, PolicyReport } from "../policy/evaluate";

export interface PolicySide {
  readonly pack: string;
  readonly mandatory: number;
  readonly advisory: number;
  readonly diagnostics: readonly PolicyDiagnostic[];
}

export interface PolicyChanges {
  readonly base: PolicySide;
  readonly head: PolicySide;
  readonly introduced: readonly PolicyDiagnostic[];
  readonly resolved: readonly PolicyDiagnostic[];
}

const keyOf = (d: PolicyDiagnostic): string => `${d.policyName}\0${d.enforcementLevel}\0${d.urn ?? ""}`;

function side(report: PolicyReport): PolicySide {
  return {
    pack: `${report.policyPackName}@v${report.policyPackVersion}`,
    mandatory: report.mandatoryCount,
    advisory: report.advisoryCount,
    diagnostics: report.diagnostics,
  };
}

export function comparePolicies(base: PolicyReport, head: PolicyReport): PolicyChanges {
  const before = new Set(base.diagnostics.map(keyOf));
  const after = new Set(head.diagnostics.map(keyOf));
  return {
    base: side(base),
    head: side(head),
    introduced: head.diagnostics.filter((d) => !before.has(keyOf(d))),
    resolved: base.diagnostics.filter((d) => !after.has(keyOf(d))),
  };
}
