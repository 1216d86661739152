/**
 * What every policy module shares: the policy shape with its documentation, typed resource
 * validations keyed by type token, config with the schema's defaults, and the handling of values
 * that are unknown during preview.
 *
 * Policies match resources by their type token rather than by provider classes: the pack then
 * needs no provider SDK, and it judges any resource of that type, whoever declared it.
 */

import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isAnalyzerUnknownValueError } from "./pulumiInternals";

/** What the catalog (docs/policies.md) prints besides the description: why, and how to fix. */
export interface PolicyDocumentation {
  /** Why the rule exists, with its source. */
  readonly rationale: string;
  /** What to change when it fires (also sent to the engine as the policy's remediation steps). */
  readonly remediationSteps: string;
}

interface MailPolicyBase extends PolicyDocumentation {
  readonly enforcementLevel: EnforcementLevel;
}

export type MailResourcePolicy = ResourceValidationPolicy & MailPolicyBase;
export type MailStackPolicy = StackValidationPolicy & MailPolicyBase;
export type MailPolicy = MailResourcePolicy | MailStackPolicy;

export function isStackPolicy(policy: MailPolicy): policy is MailStackPolicy {
  return typeof (policy as Partial<StackValidationPolicy>).validateStack === "function";
}

// ------------------------------------------------------------------------------------------------
// Unknown values during preview.

/**
 * @pulumi/policy wraps every property bag in a proxy that throws its UnknownValueError when a
 * policy reads a value the engine does not know yet (preview); the analyzer turns that error into
 * an advisory "can't run policy ... during preview".
 *
 * Checks several parts independently: a part whose value is unknown is skipped, every other part
 * is still judged, and finish() then rethrows the first unknown so the analyzer reports that the
 * policy could not fully run. Nothing unknown ever passes silently.
 */
export class PreviewUnknowns {
  private first: unknown;
  private seenAny = false;

  /** Whether some part could not be judged. */
  get seen(): boolean {
    return this.seenAny;
  }

  attempt(check: () => void): void {
    try {
      check();
    } catch (error) {
      this.record(error);
    }
  }

  /** Keeps an unknown-value error; anything else is a real failure and propagates. */
  record(error: unknown): void {
    if (!isAnalyzerUnknownValueError(error)) throw error;
    if (!this.seenAny) this.first = error;
    this.seenAny = true;
  }

  absorb(other: PreviewUnknowns): void {
    if (other.seenAny) this.record(other.first);
  }

  finish(): void {
    if (this.seenAny) throw this.first;
  }
}

// ------------------------------------------------------------------------------------------------
// Typed resource validation by type token.

export type TypedValidation<TProps> = (props: TProps, args: ResourceValidationArgs, reportViolation: ReportViolation) => void;

/**
 * Like @pulumi/policy's validateResourceOfType, for type tokens: other types are not applicable.
 * With a single token, the function carries `__pulumiType`, so the analyzer skips other types
 * without calling it. `__pulumiTypes` tells the in-process runner the same for several tokens
 * (the analyzer ignores it and gets the same answer from notApplicable()).
 */
export function validateTypes<TProps>(types: readonly string[], validate: TypedValidation<TProps>): ResourceValidation {
  const validation: ResourceValidation & { __pulumiType?: string; __pulumiTypes?: readonly string[] } = (args, reportViolation) => {
    if (!types.includes(args.type)) args.notApplicable(`Policy only applies to resources of type ${types.map((t) => `'${t}'`).join(" or ")}`);
    validate(args.props as TProps, args, reportViolation);
  };
  if (types.length === 1) validation.__pulumiType = types[0];
  validation.__pulumiTypes = types;
  return validation;
}

/** Like validateTypes, for a type pattern (dynamic resources carry their module in the type). */
export function validateTypePattern<TProps>(pattern: RegExp, description: string, validate: TypedValidation<TProps>): ResourceValidation {
  const validation: ResourceValidation & { __pulumiTypePattern?: RegExp } = (args, reportViolation) => {
    if (!pattern.test(args.type)) args.notApplicable(`Policy only applies to ${description}`);
    validate(args.props as TProps, args, reportViolation);
  };
  validation.__pulumiTypePattern = pattern;
  return validation;
}

// ------------------------------------------------------------------------------------------------
// Config.

/**
 * The policy's config: the engine fills the schema's defaults before it calls the pack, and so
 * does the in-process runner; the defaults are applied here too, so a policy never runs with a
 * tunable missing.
 */
export function policyConfig<T extends object>(schema: PolicyConfigSchema, args: { getConfig<C extends object>(): C }): T {
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    if (typeof property === "object" && property.default !== undefined) defaults[key] = property.default;
  }
  return { ...defaults, ...args.getConfig<Record<string, unknown>>() } as T;
}

// ------------------------------------------------------------------------------------------------
// Small readers shared by the modules.

/** A resource's label in a stack policy's message: `type "name"`. */
export function describeResource(resource: Pick<PolicyResource, "type" | "name">): string {
  return `${resource.type} "${resource.name}"`;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function quote(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
