/** Everything that changes in one stack from the base plan to the head plan. */

import { isSecretMarker, redactSecrets, unwrapSecrets } from "../mockRuntime/secrets";
import type { PolicyReport } from "../policy/evaluate";
import { compareBundles, type BundleChanges } from "./bundleChanges";
import { canonicalJson, compareResources, type ChangeKind, type ResourceChange } from "./compareResources";
import { compareDns, type DnsChanges } from "./dnsChanges";
import { loudChanges, type LoudChange } from "./loudChanges";
import { comparePolicies, type PolicyChanges } from "./policyChanges";
import type { StackSnapshot } from "./stackSnapshot";

export interface OutputChange {
  readonly name: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export type ChangeCounts = Readonly<Record<ChangeKind | "same", number>>;

export interface StackDiff {
  readonly stack: string;
  /** `added`: the stack file is new; `removed`: it is gone (the stack itself stays until destroyed). */
  readonly status: "changed" | "unchanged" | "added" | "removed";
  readonly resources: readonly ResourceChange[];
  readonly counts: ChangeCounts;
  readonly loud: readonly LoudChange[];
  readonly bundle: BundleChanges;
  readonly dns: DnsChanges;
  readonly outputs: readonly OutputChange[];
  readonly policy: PolicyChanges;
}

const emptyReport = (pack: PolicyReport): PolicyReport => ({ ...pack, diagnostics: [], remediations: [], mandatoryCount: 0, advisoryCount: 0, notApplicableCount: 0, resourceCount: 0 });

function outputChanges(before: Record<string, unknown>, after: Record<string, unknown>): OutputChange[] {
  const shown = (value: unknown) => (isSecretMarker(value) ? "[secret]" : redactSecrets(value));
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .sort()
    .filter((name) => canonicalJson(unwrapSecrets(before[name])) !== canonicalJson(unwrapSecrets(after[name])))
    .map((name) => ({ name, ...(name in before ? { before: shown(before[name]) } : {}), ...(name in after ? { after: shown(after[name]) } : {}) }));
}

function counts(changes: readonly ResourceChange[], headCustom: number): ChangeCounts {
  const custom = changes.filter((c) => c.custom);
  const of = (kind: ChangeKind) => custom.filter((c) => c.kind === kind).length;
  return { create: of("create"), update: of("update"), replace: of("replace"), delete: of("delete"), same: headCustom - of("create") - of("update") - of("replace") };
}

export function hasChanges(diff: Pick<StackDiff, "resources" | "bundle" | "dns" | "outputs" | "policy">): boolean {
  return (
    diff.resources.length > 0 ||
    diff.bundle.files.length > 0 ||
    diff.dns.diff !== undefined ||
    diff.outputs.length > 0 ||
    diff.policy.introduced.length > 0 ||
    diff.policy.resolved.length > 0
  );
}

/** The diff of one stack; a side is undefined when its tree has no file for the stack. */
export async function diffStack(stack: string, base: StackSnapshot | undefined, head: StackSnapshot | undefined, headProgramDir: string): Promise<StackDiff> {
  const baseResources = base?.resources ?? [];
  const headResources = head?.resources ?? [];
  const resources = await compareResources(baseResources, headResources, { headProgramDir });
  const parents = new Map([...baseResources, ...headResources].map((r) => [r.urn, r.parent]));
  const someReport = (head ?? base)!.report;
  const diff = {
    resources,
    bundle: compareBundles(base?.bundle, head?.bundle),
    dns: compareDns(baseResources, headResources, resources),
    outputs: outputChanges(base?.outputs ?? {}, head?.outputs ?? {}),
    policy: comparePolicies(base?.report ?? emptyReport(someReport), head?.report ?? emptyReport(someReport)),
  };
  const status = !base ? "added" : !head ? "removed" : hasChanges(diff) ? "changed" : "unchanged";
  return { stack, status, ...diff, counts: counts(resources, headResources.filter((r) => r.custom).length), loud: loudChanges(resources, parents) };
}
