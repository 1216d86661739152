/**
 * The part of JSON Schema the policies' configSchemas use, validated the way the Pulumi CLI does
 * before it configures a policy pack (it uses a JSON Schema draft-07 validator). A schema keyword
 * outside this part is an error, so a schema is never half-checked.
 */

import type { PolicyConfigSchema } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

const annotationKeywords = new Set(["description", "default", "title"]);
const checkedKeywords = new Set([
  "type",
  "enum",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "items",
  "minItems",
  "maxItems",
  "uniqueItems",
  "properties",
  "required",
  "additionalProperties",
]);

/** Throws when a schema uses a keyword this validator does not check. */
export function assertSupportedSchema(schema: PolicyConfigJSONSchema, path: string): void {
  for (const [keyword, value] of Object.entries(schema)) {
    if (!checkedKeywords.has(keyword) && !annotationKeywords.has(keyword)) {
      throw new Error(`${path}: JSON Schema keyword "${keyword}" is not supported by tools/policy/configSchema.ts`);
    }
    if (keyword === "items") {
      if (typeof value !== "object" || Array.isArray(value)) throw new Error(`${path}: only a single "items" schema is supported`);
      assertSupportedSchema(value as PolicyConfigJSONSchema, `${path}.items`);
    }
    if (keyword === "properties") {
      for (const [name, child] of Object.entries(value as Record<string, PolicyConfigJSONSchema>)) assertSupportedSchema(child, `${path}.${name}`);
    }
    if (keyword === "additionalProperties" && typeof value === "object") assertSupportedSchema(value as PolicyConfigJSONSchema, `${path}.additionalProperties`);
  }
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Problems of `value` against `schema`, each naming its path (`allowedTcpPorts[2]`). */
export function validateAgainstSchema(value: unknown, schema: PolicyConfigJSONSchema, path: string): string[] {
  const problems: string[] = [];
  const at = path === "" ? "the value" : path;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => matchesType(value, type))) {
      return [`${at}: expected ${types.join(" or ")}, got ${typeOf(value)} ${JSON.stringify(value)}`];
    }
  }
  if (schema.enum !== undefined && !schema.enum.some((option) => deepEqual(option, value))) {
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.map((option) => JSON.stringify(option)).join(", ")}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${at}: ${value} is below the minimum ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${at}: ${value} is above the maximum ${schema.maximum}`);
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) problems.push(`${at}: shorter than ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${at}: longer than ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
      problems.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) problems.push(`${at}: needs at least ${schema.minItems} item(s)`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) problems.push(`${at}: allows at most ${schema.maxItems} item(s)`);
    if (schema.uniqueItems && new Set(value.map((item) => JSON.stringify(item))).size !== value.length) problems.push(`${at}: items must be unique`);
    if (schema.items !== undefined && typeof schema.items === "object" && !Array.isArray(schema.items)) {
      const itemSchema = schema.items;
      value.forEach((item, i) => problems.push(...validateAgainstSchema(item, itemSchema, `${path}[${i}]`)));
    }
  }
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      if (!(name in object)) problems.push(`${path === "" ? "" : `${path}.`}${name}: is required`);
    }
    const properties = schema.properties ?? {};
    for (const [name, child] of Object.entries(object)) {
      const childPath = path === "" ? name : `${path}.${name}`;
      const childSchema = properties[name];
      if (typeof childSchema === "object") problems.push(...validateAgainstSchema(child, childSchema, childPath));
      else if (childSchema === undefined && schema.additionalProperties === false) problems.push(`${childPath}: is not a known setting`);
      else if (childSchema === undefined && typeof schema.additionalProperties === "object") {
        problems.push(...validateAgainstSchema(child, schema.additionalProperties, childPath));
      }
    }
  }
  return problems;
}

/**
 * A policy's config against its configSchema, as an object schema. Unlike the CLI, a setting the
 * schema does not declare is an error here: it is almost always a misspelt tunable that would
 * silently not apply.
 */
export function validatePolicyConfig(config: Record<string, unknown>, schema: PolicyConfigSchema | undefined): string[] {
  const objectSchema: PolicyConfigJSONSchema = {
    type: "object",
    properties: schema?.properties ?? {},
    required: schema?.required,
    additionalProperties: false,
  };
  return validateAgainstSchema(config, objectSchema, "");
}
