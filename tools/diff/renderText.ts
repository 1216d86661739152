/**
 * A stack's diff as `pulumi preview --diff` prints one, in sections a terminal and a pull-request
 * comment share: the loud changes, resources (+ create, - delete, ~ update, +- replace) with each
 * changed input, stack outputs, host files, DNS records, policies.
 */

import { describeUrn } from "../policy/render";
import type { PropertyChange, ResourceChange } from "./compareResources";
import type { StackDiff } from "./stackDiff";
import { unifiedDiff } from "./unifiedDiff";

const marks: Record<ResourceChange["kind"], string> = { create: "+ ", delete: "- ", update: "~ ", replace: "+-" };

/** One value on one line when it is short; undefined when it needs lines of its own. */
function inline(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  if (typeof value === "string" && value.includes("\n")) return undefined;
  return text.length <= 100 ? text : undefined;
}

/** A value as lines for a diff; strings end in a newline, so a one-line value shows no "No newline" marker. */
function asLines(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value !== "string") return `${JSON.stringify(value, null, 2)}\n`;
  return value.endsWith("\n") ? value : `${value}\n`;
}

/** `~ region: "fra1" => "ams3"`, or the input's unified diff under it when the values are long. */
export function renderPropertyChange(property: PropertyChange, indent: string): string[] {
  const reason = property.replaces ? `   [replaces: ${property.replaces}]` : "";
  const mark = property.before === undefined ? "+" : property.after === undefined && !property.unknownUntil ? "-" : "~";
  if (property.unknownUntil) {
    return [`${indent}${mark} ${property.property}: ${inline(property.before) ?? "(long value)"} => (known after ${property.unknownUntil} is replaced)${reason}`];
  }
  if (property.secret) return [`${indent}${mark} ${property.property}: [secret] changed${reason}`];
  const before = inline(property.before);
  const after = inline(property.after);
  if ((before !== undefined || property.before === undefined) && (after !== undefined || property.after === undefined)) {
    return [`${indent}${mark} ${property.property}: ${before ?? "(none)"} => ${after ?? "(none)"}${reason}`];
  }
  const diff = unifiedDiff(`base ${property.property}`, `head ${property.property}`, asLines(property.before), asLines(property.after));
  return [`${indent}${mark} ${property.property}:${reason}`, ...diff.split("\n").slice(2).map((line) => `${indent}    ${line}`)];
}

export function renderResourceChange(change: ResourceChange): string[] {
  const lines = [`${marks[change.kind]} ${change.type}  ${change.name}  ${change.kind}`];
  for (const property of change.properties) lines.push(...renderPropertyChange(property, "      "));
  for (const note of change.notes) lines.push(`      note: ${note}`);
  return lines;
}

export function renderCounts(diff: StackDiff): string {
  const { counts } = diff;
  return `${counts.replace} to replace, ${counts.update} to update, ${counts.create} to create, ${counts.delete} to delete, ${counts.same} unchanged`;
}

export function renderLoud(diff: StackDiff): string[] {
  return diff.loud.flatMap((loud) => [`!! ${loud.title}`, `   ${loud.detail}`]);
}

export function renderResources(diff: StackDiff): string[] {
  return diff.resources.flatMap(renderResourceChange);
}

export function renderOutputs(diff: StackDiff): string[] {
  return diff.outputs.map((output) => renderPropertyChange({ property: output.name, before: output.before, after: output.after, secret: false }, "  ")).flat();
}

/** The host files section: the diffs, then the secret and attribute-only changes as one line each. */
export function renderBundle(diff: StackDiff): string[] {
  const { bundle } = diff;
  const lines = bundle.problems.map((problem) => `  ${problem}`);
  for (const file of bundle.files) {
    if (file.secret) lines.push(`  ~ ${file.path}: ${file.change} [secret]${file.attributes.length > 0 ? `; ${file.attributes.join(", ")}` : ""}`);
    else if (file.diff === undefined) lines.push(`  ~ ${file.path}: ${[...(file.change === "changed" ? [] : [file.change]), ...file.attributes].join(", ")}`);
    else {
      if (file.attributes.length > 0) lines.push(`  ~ ${file.path}: ${file.attributes.join(", ")}`);
      lines.push(file.diff);
    }
  }
  return lines;
}

export function renderPolicies(diff: StackDiff): string[] {
  const { policy } = diff;
  const describe = (d: StackDiff["policy"]["introduced"][number]) => {
    const where = d.urn ? ` (${describeUrn(d.urn).type}: ${describeUrn(d.urn).name})` : "";
    return `[${d.enforcementLevel}] ${d.policyName}${where}: ${d.message.split("\n").slice(-1)[0]}`;
  };
  return [
    `  base ${policy.base.pack}: ${policy.base.mandatory} mandatory, ${policy.base.advisory} advisory`,
    `  head ${policy.head.pack}: ${policy.head.mandatory} mandatory, ${policy.head.advisory} advisory`,
    ...policy.introduced.map((d) => `  NEW ${describe(d)}`),
    ...policy.resolved.map((d) => `  resolved ${describe(d)}`),
  ];
}

function section(title: string, lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : ["", title, ...lines];
}

/** The whole diff of one stack for a terminal; an unchanged stack in one line. */
export function renderStackDiff(diff: StackDiff): string {
  if (diff.status === "unchanged") return `Stack ${diff.stack}: unchanged (${diff.counts.same} resources)`;
  const header = `Stack ${diff.stack}: ${diff.status === "added" ? "new stack file, " : diff.status === "removed" ? "stack file removed (the stack is not destroyed by that), " : ""}${renderCounts(diff)}`;
  const bundleTitle = `Host bundle: ${diff.bundle.files.length} file${diff.bundle.files.length === 1 ? "" : "s"} change${diff.bundle.baseHash && diff.bundle.headHash && diff.bundle.baseHash !== diff.bundle.headHash ? ` (bundle ${diff.bundle.baseHash.slice(0, 12)} -> ${diff.bundle.headHash.slice(0, 12)})` : ""}`;
  return [
    header,
    ...(diff.loud.length > 0 ? ["", ...renderLoud(diff)] : []),
    ...section("Resources:", renderResources(diff)),
    ...section("Stack outputs:", renderOutputs(diff)),
    ...section(bundleTitle, diff.bundle.files.length > 0 || diff.bundle.problems.length > 0 ? renderBundle(diff) : []),
    ...section("DNS records:", diff.dns.diff ? [diff.dns.diff] : []),
    ...section("Policies:", renderPolicies(diff)),
  ].join("\n");
}
