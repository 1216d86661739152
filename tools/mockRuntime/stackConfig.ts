import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { decodeConfigValue } from "../../components/loadTenantConfig";
import { nestedSecretStandIn, wholeSecretStandIn } from "./secretStandIns";
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

function isEncrypted(value: unknown): value is { secure: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;
}

/** The value with every encrypted part inside it replaced by its stand-in; whether it held one. */
function withNestedStandIns(value: unknown, path: (string | number)[] = []): { value: unknown; secret: boolean } {
  if (isEncrypted(value)) return { value: nestedSecretStandIn(path, String(value.secure)), secret: true };
  if (Array.isArray(value)) {
    const items = value.map((item, i) => withNestedStandIns(item, [...path, i]));
    return { value: items.map((item) => item.value), secret: items.some((item) => item.secret) };
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([key, item]) => [key, withNestedStandIns(item, [...path, key])] as const);
    return { value: Object.fromEntries(entries.map(([key, item]) => [key, item.value])), secret: entries.some(([, item]) => item.secret) };
  }
  return { value, secret: false };
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
    if (isEncrypted(value)) {
      values[qualified] = wholeSecretStandIn;
      secretKeys.push(qualified);
      continue;
    }
    // A secret set inside a list or map makes the whole key secret, as the engine does.
    const standIn = withNestedStandIns(value);
    values[qualified] = encode(standIn.value);
    if (standIn.secret) secretKeys.push(qualified);
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

/** A stack file's name: Pulumi.<stack>.yaml or .yml. */
const stackFilePattern = /^Pulumi\.(.+)\.ya?ml$/;

/** Every stack with a Pulumi.<stack>.yaml in the program directory, sorted by name. */
export function listStacks(programDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(programDir);
  } catch (error) {
    throw new StackConfigError(`${programDir}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const stacks = names.map((name) => stackFilePattern.exec(name)?.[1]).filter((stack): stack is string => stack !== undefined);
  return [...new Set(stacks)].sort();
}
