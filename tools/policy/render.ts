/** The policy report as the Pulumi CLI prints a preview's "Policies:" section. */

import type { CapturedResource } from "../mockRuntime/capture";
import type { PolicyDiagnostic, PolicyReport } from "./evaluate";

/** `type: name` of a URN (`urn:pulumi:<stack>::<project>::<parent$type>::<name>`). */
export function describeUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const qualifiedType = parts[2] ?? "";
  return { type: qualifiedType.slice(qualifiedType.lastIndexOf("$") + 1), name: parts.slice(3).join("::") };
}

export interface RenderOptions {
  /** The captured resources, to name the stack for violations without a URN. */
  readonly resources?: readonly CapturedResource[];
  /** How the pack was loaded, shown after its name; the CLI shows `local: <dir>`. */
  readonly source?: string;
}

function resourceLabel(diagnostic: PolicyDiagnostic, stackUrn: string | undefined): string {
  const urn = diagnostic.urn ?? stackUrn;
  if (!urn) return "";
  const { type, name } = describeUrn(urn);
  return `  (${type}: ${name})`;
}

/**
 * ```
 * Policies:
 *     ❌ mail-security-baseline@v0.1.0 (local: policies)
 *         - [mandatory]  digitalocean-firewall-ssh-sources  (digitalocean:index/firewall:Firewall: web)
 *           Cloud firewalls never admit SSH from 0.0.0.0/0 or ::/0: ...
 *           inbound rule 1 (tcp 22) admits SSH (port 22) from "0.0.0.0/0", ...
 * ```
 * ✅ when nothing was reported, ⚠️ when only advisories, ❌ with a mandatory violation.
 */
export function renderPolicyReport(report: PolicyReport, options: RenderOptions = {}): string {
  const stackUrn = options.resources?.find((resource) => resource.type === "pulumi:pulumi:Stack")?.urn;
  const icon = report.mandatoryCount > 0 ? "❌" : report.diagnostics.length > 0 ? "⚠️" : "✅";
  const lines = ["Policies:", `    ${icon} ${report.policyPackName}@v${report.policyPackVersion} (${options.source ?? "local: policies"})`];
  for (const remediation of report.remediations) {
    const { type, name } = describeUrn(remediation.urn);
    lines.push(`        - [remediate]  ${remediation.policyName}  (${type}: ${name})`);
    lines.push(`          changed: ${remediation.changedProperties.join(", ")}`);
  }
  for (const diagnostic of report.diagnostics) {
    lines.push(`        - [${diagnostic.enforcementLevel}]  ${diagnostic.policyName}${resourceLabel(diagnostic, stackUrn)}`);
    for (const line of diagnostic.message.split("\n")) lines.push(`          ${line}`);
  }
  return lines.join("\n");
}

/** One line: counts and the evaluation's time. */
export function renderPolicySummary(report: PolicyReport): string {
  return (
    `${report.mandatoryCount} mandatory, ${report.advisoryCount} advisory` +
    (report.remediations.length > 0 ? `, ${report.remediations.length} remediated` : "") +
    ` (${report.policyCount} policies over ${report.resourceCount} resources in ${report.elapsedMs.toFixed(1)} ms)`
  );
}
