import { existsSync } from "node:fs";
import { join } from "node:path";
import { decodeConfigValue } from "../../components/loadTenantConfig";
import { readYamlMapping, YamlFileError } from "./yamlFile";

export interface StackConfig {
  readonly project: string;
  readonly stack: string;
  /** `namespace:key` -> value as the engine passes it (JSON text for lists and objects). */
  readonly values: Record<string, string>;
  /** Keys whose value is a secret; encrypted ones cannot be read offline and stand in as `[secret]`. */
  readonly secretKeys: string[];
}

/** Raised for a missing or unreadable project or stack file: a user error, not a crash. */
export class StackConfigError extends Error {
  override name = "StackConfigError";
}

function readYamlFile(path: string): Record<string, unknown> {
  try {
    return readYamlMapping(path);
  } catch (error) {
    if (error instanceof YamlFileError) throw new StackConfigError(error.message);
    throw error;
  }
}

function qualify(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

function encode(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the CLI would for `pulumi preview`:
 * project-level defaults first, stack values over them.
 */
export function readStackConfig(programDir: string, stack: string): StackConfig {
  const projectFile = ["Pulumi.yaml", "Pulumi.yml"].map((f) => join(programDir, f)).find(existsSync);
  if (!projectFile) throw new StackConfigError(`${programDir}: no Pulumi.yaml (is this a Pulumi program directory?)`);
  const projectDoc = readYamlFile(projectFile);
  const project = projectDoc.name;
  if (typeof project !== "string" || project.length === 0) throw new StackConfigError(`${projectFile}: missing the project "name"`);

  const stackFile = [`Pulumi.${stack}.yaml`, `Pulumi.${stack}.yml`].map((f) => join(programDir, f)).find(existsSync);
  if (!stackFile) throw new StackConfigError(`no stack file Pulumi.${stack}.yaml in ${programDir}`);
  const stackDoc = readYamlFile(stackFile);

  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  const projectConfig = (projectDoc.config ?? {}) as Record<string, unknown>;
  for (const [key, spec] of Object.entries(projectConfig)) {
    const declared = typeof spec === "object" && spec !== null && !Array.isArray(spec) ? (spec as Record<string, unknown>) : { default: spec };
    const fallback = declared.value ?? declared.default;
    if (fallback !== undefined) values[qualify(key, project)] = encode(fallback);
  }
  const stackConfig = stackDoc.config ?? {};
  if (typeof stackConfig !== "object" || Array.isArray(stackConfig)) throw new StackConfigError(`${stackFile}: "config" must be a mapping`);
  for (const [key, value] of Object.entries(stackConfig as Record<string, unknown>)) {
    const qualified = qualify(key, project);
    if (typeof value === "object" && value !== null && "secure" in value) {
      values[qualified] = "[secret]";
      secretKeys.push(qualified);
    } else {
      values[qualified] = encode(value);
    }
  }
  return { project, stack, values, secretKeys };
}

/** One namespace's keys without the prefix, values decoded as a program reads them. */
export function namespaceConfig(stackConfig: StackConfig, namespace: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(stackConfig.values)
      .filter(([key]) => key.startsWith(`${namespace}:`))
      .map(([key, value]) => [key.slice(namespace.length + 1), decodeConfigValue(value)]),
  );
}
