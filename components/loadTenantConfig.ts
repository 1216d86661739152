import * as pulumi from "@pulumi/pulumi";
import { configNamespaceProblems } from "../tenant/configNamespaces";
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
  const prefix = `${configNamespace}:`;
  // fromEntries defines own properties: a key named __proto__ stays a key (and is then refused).
  return Object.fromEntries(
    Object.entries(pulumi.runtime.allConfig())
      .filter(([fullKey]) => fullKey.startsWith(prefix))
      .map(([fullKey, value]) => [fullKey.slice(prefix.length), decodeConfigValue(value)]),
  );
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
  const namespaceProblems = configNamespaceProblems(Object.keys(pulumi.runtime.allConfig()));
  if (!result.ok || namespaceProblems.length > 0) {
    throw new pulumi.RunError(formatConfigProblems([...namespaceProblems, ...(result.ok ? [] : result.problems)]));
  }
  const stackConfig = new pulumi.Config(configNamespace);
  return {
    config: result.config,
    secrets: { acmeDnsApiToken: stackConfig.requireSecret(secretConfigKeys.acmeDnsApiToken) },
  };
}
