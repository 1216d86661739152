/**
 * Policy pack config as `pulumi preview --policy-pack-config <file>` reads it: a JSON object whose
 * keys are policy names (or "all"), each either an enforcement level or an object of settings
 * with an optional "enforcementLevel". Reconciled the way the engine does it: every policy starts
 * from its own level and its schema's defaults, then "all", then the policy's own entry.
 */

import { readFileSync } from "node:fs";
import type { EnforcementLevel, Policy } from "@pulumi/policy";
import { validatePolicyConfig } from "./configSchema";

export const enforcementLevels: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** The pack's default level, as @pulumi/policy's PolicyPack uses it when a policy sets none. */
export const defaultPackEnforcementLevel: EnforcementLevel = "advisory";

export interface GivenPolicyConfig {
  readonly enforcementLevel?: EnforcementLevel;
  readonly properties: Readonly<Record<string, unknown>>;
}

export type GivenPackConfig = Readonly<Record<string, GivenPolicyConfig>>;

export interface ResolvedPolicyConfig {
  readonly enforcementLevel: EnforcementLevel;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** Bad policy pack config: a user error, reported without a stack trace. */
export class PolicyConfigError extends Error {
  override name = "PolicyConfigError";
}

function isEnforcementLevel(value: unknown): value is EnforcementLevel {
  return typeof value === "string" && (enforcementLevels as readonly string[]).includes(value);
}

/** Reads the config object (already parsed from JSON); `source` names it in errors. */
export function parsePolicyPackConfig(raw: unknown, source: string): GivenPackConfig {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new PolicyConfigError(`${source}: expected a JSON object keyed by policy name`);
  const problems: string[] = [];
  const config: Record<string, GivenPolicyConfig> = {};
  for (const [policy, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value === "string") {
      if (isEnforcementLevel(value)) config[policy] = { enforcementLevel: value, properties: {} };
      else problems.push(`${policy}: "${value}" is not an enforcement level (${enforcementLevels.join(", ")})`);
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      if (enforcementLevel !== undefined && !isEnforcementLevel(enforcementLevel)) {
        problems.push(`${policy}.enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level (${enforcementLevels.join(", ")})`);
        continue;
      }
      config[policy] = { enforcementLevel: enforcementLevel as EnforcementLevel | undefined, properties };
    } else {
      problems.push(`${policy}: ${JSON.stringify(value)} is neither an enforcement level nor an object of settings`);
    }
  }
  if (problems.length > 0) throw new PolicyConfigError(`${source}: invalid policy pack config:\n  ${problems.join("\n  ")}`);
  return config;
}

/** Reads a config file; an empty file is an empty config, as in the CLI. */
export function readPolicyPackConfigFile(path: string): GivenPackConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new PolicyConfigError(`cannot read policy pack config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (text.trim() === "") return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PolicyConfigError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parsePolicyPackConfig(raw, path);
}

/** Every policy's level and settings: defaults first, then "all", then the policy's own entry; validated. */
export function resolvePolicyPackConfig(
  policies: readonly Policy[],
  given: GivenPackConfig = {},
  packLevel: EnforcementLevel = defaultPackEnforcementLevel,
  source = "policy pack config",
): Map<string, ResolvedPolicyConfig> {
  const problems: string[] = [];
  const known = new Set(policies.map((policy) => policy.name));
  for (const name of Object.keys(given)) {
    if (name !== "all" && !known.has(name)) problems.push(`${name}: no such policy in the pack (policies: ${[...known].join(", ")})`);
  }
  const all = given.all;
  if (all && Object.keys(all.properties).length > 0) problems.push(`all: only an enforcement level applies to all policies, not settings`);

  const resolved = new Map<string, ResolvedPolicyConfig>();
  for (const policy of policies) {
    const properties: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
      if (typeof schema === "object" && schema.default !== undefined) properties[key] = structuredClone(schema.default);
    }
    let enforcementLevel = policy.enforcementLevel ?? packLevel;
    if (all?.enforcementLevel) enforcementLevel = all.enforcementLevel;
    const own = given[policy.name];
    if (own?.enforcementLevel) enforcementLevel = own.enforcementLevel;
    Object.assign(properties, own?.properties ?? {});
    problems.push(...validatePolicyConfig(properties, policy.configSchema).map((problem) => `${policy.name}: ${problem}`));
    resolved.set(policy.name, { enforcementLevel, properties });
  }
  if (problems.length > 0) throw new PolicyConfigError(`${source}: invalid policy pack config:\n  ${problems.join("\n  ")}`);
  return resolved;
}
