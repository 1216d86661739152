import * as pulumi from "@pulumi/pulumi";
import { parseTenantConfig } from "../tenant/parseTenantConfig";
import { configNamespace, formatConfigProblems, secretConfigKeys, type TenantConfig } from "../tenant/tenantConfig";

/** The tenant's secret settings, as Outputs that stay secret. */
export interface TenantSecrets {
  readonly acmeDnsApiToken: pulumi.Output<string>;
}

/**
 * The tenant's keys as the engine hands them to the program: lists and objects arrive as JSON
 * text, scalars as strings (numbers are coerced by the schema).
 */
export function readRawTenantConfig(): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const prefix = `${configNamespace}:`;
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) continue;
    raw[fullKey.slice(prefix.length)] = decodeConfigValue(value);
  }
  return raw;
}

export function decodeConfigValue(value: string): unknown {
  const trimmed = value.trim();
  if (/^[[{]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * Reads and validates the stack's tenant config once. Invalid config stops the program with a
 * RunError (the engine prints its message without a stack trace) listing every problem.
 */
export function loadTenantConfig(): { config: TenantConfig; secrets: TenantSecrets } {
  const result = parseTenantConfig(readRawTenantConfig());
  for (const notice of result.notices) pulumi.log.warn(`${notice.key}: ${notice.message}`);
  if (!result.ok) throw new pulumi.RunError(formatConfigProblems(result.problems));
  const stackConfig = new pulumi.Config(configNamespace);
  return {
    config: result.config,
    secrets: { acmeDnsApiToken: stackConfig.requireSecret(secretConfigKeys.acmeDnsApiToken) },
  };
}
