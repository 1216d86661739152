/**
 * Runs a policy pack over captured resources in this process, as the Pulumi engine and
 * @pulumi/policy's analyzer server do over gRPC: for each resource, the remediations of policies
 * at level "remediate", then every resource policy on its (remediated) inputs; then every stack
 * policy on all resources' outputs. Enforcement levels and settings come from the policies and
 * the pack config; a value unknown during preview gives the analyzer's advisory.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EnforcementLevel, Policy, ReportViolation, ResourceValidationPolicy, Severity, StackValidationPolicy } from "@pulumi/policy";
import { mailSecurityPolicies, policyPackName } from "../../policies/pack";
import { isAnalyzerUnknownValueError } from "../../policies/pulumiInternals";
import type { CapturedResource } from "../mockRuntime/capture";
import {
  analyzerResource,
  freezeMap,
  NotApplicableSignal,
  resourceValidationArgs,
  stackValidationArgs,
  unproxy,
  type ArgsContext,
} from "./analyzerArgs";
import { resolvePolicyPackConfig, type GivenPackConfig, type ResolvedPolicyConfig } from "./packConfig";

export type ReportedLevel = Exclude<EnforcementLevel, "disabled">;

/** One violation, shaped like the analyzer's AnalyzeDiagnostic. */
export interface PolicyDiagnostic {
  readonly policyName: string;
  readonly policyPackName: string;
  readonly policyPackVersion: string;
  readonly description: string;
  /** The policy's description, then the violation's own message on the next line (as the server joins them). */
  readonly message: string;
  readonly enforcementLevel: ReportedLevel;
  readonly severity?: Severity;
  /** The resource in violation; a stack policy may leave it out (then the stack is meant). */
  readonly urn?: string;
}

/** A remediation that changed a resource's inputs. */
export interface PolicyRemediation {
  readonly policyName: string;
  readonly urn: string;
  /** The top-level inputs it changed. */
  readonly changedProperties: string[];
}

export interface PolicyReport {
  readonly policyPackName: string;
  readonly policyPackVersion: string;
  readonly resourceCount: number;
  readonly policyCount: number;
  readonly diagnostics: PolicyDiagnostic[];
  readonly remediations: PolicyRemediation[];
  /** (policy, resource) pairs a policy declared not applicable. */
  readonly notApplicableCount: number;
  readonly mandatoryCount: number;
  readonly advisoryCount: number;
  /** Wall time of the evaluation alone (the program's run excluded). */
  readonly elapsedMs: number;
}

export interface EvaluateOptions {
  /** Default: the mail-security-baseline policies. */
  readonly policies?: readonly Policy[];
  readonly policyPackName?: string;
  /** Default: policies/package.json's version. */
  readonly policyPackVersion?: string;
  /** The pack's level for policies that set none (PolicyPackArgs.enforcementLevel). */
  readonly packEnforcementLevel?: EnforcementLevel;
  /** Parsed `--policy-pack-config` (see packConfig.ts). */
  readonly config?: GivenPackConfig;
  /** Names the config in errors. */
  readonly configSource?: string;
  readonly stackTags?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

/** A policy threw something other than the analyzer's unknown-value or not-applicable signals. */
export class PolicyCrashError extends Error {
  override name = "PolicyCrashError";
}

let cachedVersion: string | undefined;

/** The pack's version as PolicyPack reads it: policies/package.json. */
export function policyPackVersion(): string {
  cachedVersion ??= (JSON.parse(readFileSync(join(__dirname, "../../policies/package.json"), "utf8")) as { version: string }).version;
  return cachedVersion;
}

function isResourcePolicy(policy: Policy): policy is ResourceValidationPolicy {
  const candidate = policy as ResourceValidationPolicy;
  return typeof candidate.validateResource === "function" || Array.isArray(candidate.validateResource) || typeof candidate.remediateResource === "function";
}

function isStackPolicy(policy: Policy): policy is StackValidationPolicy {
  return typeof (policy as StackValidationPolicy).validateStack === "function";
}

function pulumiTypeOf(fn: unknown): string | undefined {
  const type = (fn as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof type === "string" && type.length > 0 ? type : undefined;
}

/**
 * Whether a validation says up front that it does not apply to a type: the analyzer's
 * `__pulumiType`, or the pack's own hints for several tokens or a pattern (policies/common.ts).
 * The analyzer calls such a validation and gets notApplicable() thrown; skipping the call gives
 * the same result without the throw, which is slow in a process where Pulumi's closure
 * serializer has the inspector attached.
 */
function declaresNotApplicable(fn: unknown, type: string): boolean {
  const single = pulumiTypeOf(fn);
  if (single) return single !== type;
  const hints = fn as { __pulumiTypes?: unknown; __pulumiTypePattern?: unknown } | undefined;
  if (Array.isArray(hints?.__pulumiTypes)) return !hints.__pulumiTypes.includes(type);
  if (hints?.__pulumiTypePattern instanceof RegExp) return !hints.__pulumiTypePattern.test(type);
  return false;
}

/** Evaluates the pack over the captured resources and returns every diagnostic. */
export async function evaluatePolicies(resources: readonly CapturedResource[], options: EvaluateOptions = {}): Promise<PolicyReport> {
  const started = process.hrtime.bigint();
  const policies = options.policies ?? mailSecurityPolicies;
  const packName = options.policyPackName ?? policyPackName;
  const packVersion = options.policyPackVersion ?? policyPackVersion();
  const levels = resolvePolicyPackConfig(policies, options.config, options.packEnforcementLevel, options.configSource);
  const stackTags = freezeMap(options.stackTags instanceof Map ? new Map(options.stackTags) : new Map(Object.entries(options.stackTags ?? {})));

  const analyzed = resources.map(analyzerResource);
  const byUrn = new Map(analyzed.map((resource) => [resource.captured.urn, resource]));
  const diagnostics: PolicyDiagnostic[] = [];
  const remediations: PolicyRemediation[] = [];
  let notApplicableCount = 0;

  const policyFrom = (policy: Policy, kind = "policy") => `${kind} '${policy.name}' from policy pack '${packName}@v${packVersion}'`;
  const context = (config: ResolvedPolicyConfig): ArgsContext => ({ stackTags, byUrn, getConfig: () => structuredClone(config.properties) as Record<string, unknown> });
  const reporter = (policy: Policy, level: ReportedLevel, urnOf: (urn?: string) => string | undefined): ReportViolation => (message, urn) => {
    diagnostics.push({
      policyName: policy.name,
      policyPackName: packName,
      policyPackVersion: packVersion,
      description: policy.description,
      message: message ? `${policy.description}\n${message}` : policy.description,
      enforcementLevel: level,
      severity: policy.severity,
      urn: urnOf(urn),
    });
  };
  /** The analyzer's treatment of what a policy throws: unknown -> advisory, not applicable -> noted, else a crash. */
  const handleThrow = (error: unknown, policy: Policy, urn: string | undefined, what: string, kind?: string): void => {
    if (isAnalyzerUnknownValueError(error)) {
      diagnostics.push({
        policyName: policy.name,
        policyPackName: packName,
        policyPackVersion: packVersion,
        description: policy.description,
        message: `can't run ${policyFrom(policy, kind)} during preview: ${(error as Error).message}`,
        enforcementLevel: "advisory",
        severity: policy.severity,
        urn,
      });
    } else if (error instanceof NotApplicableSignal) {
      notApplicableCount++;
    } else {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      throw new PolicyCrashError(`Error ${what} with ${policyFrom(policy, kind)}:\n${detail}`);
    }
  };

  for (const resource of analyzed) {
    const { urn } = resource.captured;
    // Remediations first: they may change the inputs the validations then see.
    for (const policy of policies) {
      const config = levels.get(policy.name)!;
      if (config.enforcementLevel !== "remediate" || !isResourcePolicy(policy) || !policy.remediateResource) continue;
      const type = pulumiTypeOf(policy.remediateResource);
      if (type && type !== resource.captured.type) {
        notApplicableCount++;
        continue;
      }
      try {
        const result = await policy.remediateResource(resourceValidationArgs(resource, context(config)));
        if (result) {
          const next = unproxy(result) as Record<string, unknown>;
          const changed = [...new Set([...Object.keys(resource.inputs), ...Object.keys(next)])].filter(
            (key) => JSON.stringify(resource.inputs[key]) !== JSON.stringify(next[key]),
          );
          resource.inputs = next;
          if (changed.length > 0) {
            remediations.push({ policyName: policy.name, urn, changedProperties: changed });
            // What the provider then stores, and stack policies read.
            for (const key of changed) resource.outputs[key] = next[key];
          }
        }
      } catch (error) {
        handleThrow(error, policy, urn, `remediating resource ${urn}`, "remediation");
      }
    }
    for (const policy of policies) {
      const config = levels.get(policy.name)!;
      if (config.enforcementLevel === "disabled" || !isResourcePolicy(policy)) continue;
      if (!policy.validateResource) {
        notApplicableCount++;
        continue;
      }
      // A remediation that still leaves a violation is reported as mandatory, as the server does.
      const level: ReportedLevel = config.enforcementLevel === "remediate" ? "mandatory" : config.enforcementLevel;
      const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
      if (!Array.isArray(policy.validateResource) && pulumiTypeOf(policy.validateResource) && declaresNotApplicable(policy.validateResource, resource.captured.type)) {
        notApplicableCount++;
        continue;
      }
      const report = reporter(policy, level, () => urn);
      for (const validation of validations) {
        if (declaresNotApplicable(validation, resource.captured.type)) {
          notApplicableCount++;
          continue;
        }
        try {
          await validation(resourceValidationArgs(resource, context(config)), report);
        } catch (error) {
          handleThrow(error, policy, urn, `validating resource ${urn}`);
        }
      }
    }
  }

  for (const policy of policies) {
    const config = levels.get(policy.name)!;
    if (config.enforcementLevel === "disabled" || !isStackPolicy(policy)) continue;
    const level: ReportedLevel = config.enforcementLevel === "remediate" ? "mandatory" : config.enforcementLevel;
    const type = pulumiTypeOf(policy.validateStack);
    if (type && !analyzed.some((resource) => resource.captured.type === type)) {
      notApplicableCount++;
      continue;
    }
    try {
      await policy.validateStack(stackValidationArgs(analyzed, context(config)), reporter(policy, level, (urn) => urn));
    } catch (error) {
      handleThrow(error, policy, undefined, "validating stack");
    }
  }

  return {
    policyPackName: packName,
    policyPackVersion: packVersion,
    resourceCount: resources.length,
    policyCount: policies.length,
    diagnostics,
    remediations,
    notApplicableCount,
    mandatoryCount: diagnostics.filter((d) => d.enforcementLevel === "mandatory").length,
    advisoryCount: diagnostics.filter((d) => d.enforcementLevel === "advisory").length,
    elapsedMs: Number(process.hrtime.bigint() - started) / 1e6,
  };
}
