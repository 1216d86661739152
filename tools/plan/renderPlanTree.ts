import type { CapturedResource } from "../mockRuntime/capture";
import { redactSecrets } from "../mockRuntime/secrets";

function formatScalar(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value !== "object";
}

function formatValue(key: string, value: unknown, indent: string, lines: string[]): void {
  if (isScalar(value)) {
    lines.push(`${indent}${key}: ${formatScalar(value)}`);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      lines.push(`${indent}${key}: []`);
    } else if (value.every(isScalar) && value.map(formatScalar).join(", ").length <= 80) {
      lines.push(`${indent}${key}: [${value.map(formatScalar).join(", ")}]`);
    } else {
      lines.push(`${indent}${key}:`);
      value.forEach((item, i) => formatValue(`[${i}]`, item, `${indent}    `, lines));
    }
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) {
    lines.push(`${indent}${key}: {}`);
    return;
  }
  lines.push(`${indent}${key}:`);
  for (const [k, v] of entries.sort(([a], [b]) => a.localeCompare(b))) formatValue(k, v, `${indent}    `, lines);
}

/** Inputs worth showing: the SDK's bookkeeping keys (`__defaults`, `__provider`) are not. */
function visibleInputs(resource: CapturedResource): [string, unknown][] {
  return Object.entries(redactSecrets(resource.inputs) as Record<string, unknown>)
    .filter(([k, v]) => !k.startsWith("__") && v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
}

/**
 * A `pulumi preview`-like tree: every resource under its parent, custom resources with their
 * inputs, secrets as [secret].
 */
export function renderPlanTree(resources: readonly CapturedResource[], opts: { showInputs: boolean }): string {
  const children = new Map<string | undefined, CapturedResource[]>();
  const urns = new Set(resources.map((r) => r.urn));
  for (const r of resources) {
    const parent = r.parent && urns.has(r.parent) ? r.parent : undefined;
    const list = children.get(parent) ?? [];
    list.push(r);
    children.set(parent, list);
  }
  const lines: string[] = [];
  const typeWidth = Math.min(48, Math.max(...resources.map((r) => r.type.length)));
  const walk = (parent: string | undefined, depth: number): void => {
    for (const r of children.get(parent) ?? []) {
      const indent = "  ".repeat(depth);
      lines.push(`+ ${indent}${r.type.padEnd(Math.max(typeWidth - indent.length, r.type.length))}  ${r.name}`);
      if (opts.showInputs && r.custom) {
        for (const [key, value] of visibleInputs(r)) formatValue(key, value, `    ${indent}`, lines);
      }
      walk(r.urn, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join("\n");
}

export function renderOutputs(outputs: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(redactSecrets(outputs) as Record<string, unknown>)) formatValue(key, value, "    ", lines);
  return lines.join("\n");
}
