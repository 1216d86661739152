/**
 * What `pulumi preview --diff` would show for the head plan against the base plan, resource by
 * resource (matched by URN): created, deleted, updated in place (each changed input, old and new)
 * or replaced (with the inputs that force it, from replacementRules.ts or the resource's own
 * dynamic provider).
 *
 * A replaced resource's outputs are unknown until it exists again, as in a real preview: the mock
 * runtime gives the new droplet the old one's stand-in addresses, but the cloud will not. Every
 * input computed from such a resource is shown as "known after ... is replaced" and counts as
 * changed, which is how a new droplet re-applies its host configuration and moves its records.
 */

import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { isSecretMarker, redactSecrets, unwrapSecrets } from "../mockRuntime/secrets";
import { dynamicProviderRules, replacementRules } from "./replacementRules";
import type { SnapshotResource } from "./stackSnapshot";

export type ChangeKind = "create" | "delete" | "update" | "replace";

export interface PropertyChange {
  readonly property: string;
  /** Display values: secrets as [secret]; undefined when absent on that side. */
  readonly before?: unknown;
  readonly after?: unknown;
  readonly secret: boolean;
  /** The value is computed from a resource being replaced, so it is unknown until then. */
  readonly unknownUntil?: string;
  /** Why this change replaces the resource; undefined when it updates in place. */
  readonly replaces?: string;
}

export interface ResourceChange {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly kind: ChangeKind;
  /** Changed inputs (update and replace). */
  readonly properties: readonly PropertyChange[];
  /** What else a reader should know: downtime, what an update runs, how the provider decided. */
  readonly notes: readonly string[];
}

/** Pulumi's marker of a value unknown during a preview, as providers receive it. */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** JSON with sorted keys: equal values, equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function containsSecret(value: unknown): boolean {
  if (isSecretMarker(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecret);
  return false;
}

/** The SDK's bookkeeping inputs (`__defaults`, `__provider`) are not the resource's. */
function ownInputs(inputs: Record<string, unknown>): string[] {
  return Object.keys(inputs).filter((key) => !key.startsWith("__"));
}

/** `triggers[*]` and `a.b` name the top-level input they are in. */
function topLevel(path: string): string {
  return /^[^.[]+/.exec(path)?.[0] ?? path;
}

function label(resource: Pick<SnapshotResource, "type" | "name">): string {
  return `${resource.type.slice(resource.type.lastIndexOf(":") + 1)} ${resource.name}`;
}

interface Candidate {
  readonly property: string;
  readonly change: Omit<PropertyChange, "replaces">;
}

/** Inputs that differ, and inputs computed from a replaced resource. */
function candidateChanges(before: SnapshotResource, after: SnapshotResource, replaced: ReadonlyMap<string, string>): Candidate[] {
  const ignored = new Set(after.ignoreChanges.map(topLevel));
  const properties = [...new Set([...ownInputs(before.inputs), ...ownInputs(after.inputs)])].filter((p) => !ignored.has(p)).sort();
  const candidates: Candidate[] = [];
  for (const property of properties) {
    const old = before.inputs[property];
    const next = after.inputs[property];
    const secret = containsSecret(old) || containsSecret(next) || after.additionalSecretOutputs.includes(property);
    const from = (after.propertyDependencies[property] ?? []).find((urn) => replaced.has(urn));
    const differs = canonicalJson(unwrapSecrets(old)) !== canonicalJson(unwrapSecrets(next));
    if (!differs && !from) continue;
    candidates.push({
      property,
      change: {
        property,
        ...(old === undefined ? {} : { before: secret ? "[secret]" : redactSecrets(old) }),
        ...(next === undefined ? {} : { after: secret ? "[secret]" : redactSecrets(next) }),
        secret,
        ...(from ? { unknownUntil: replaced.get(from)! } : {}),
      },
    });
  }
  return candidates;
}

type DynamicProvider = pulumi.dynamic.ResourceProvider;

/** A dynamic resource's own provider, from the head program's tree (the engine asks the new code). */
function dynamicProvider(programDir: string, type: string): DynamicProvider | string {
  const rule = dynamicProviderRules[type];
  if (!rule) return `no rule for the dynamic resource ${type} in tools/diff/replacementRules.ts`;
  try {
    const provider = (require(join(programDir, rule.module)) as Record<string, unknown>)[rule.exportName] as DynamicProvider | undefined;
    return provider && typeof provider === "object" ? provider : `${rule.module} exports no ${rule.exportName}`;
  } catch (error) {
    return `${rule.module} cannot be loaded: ${(error as Error).message.split("\n")[0]}`;
  }
}

interface Verdict {
  readonly kind: "same" | "update" | "replace";
  readonly replaces: ReadonlyMap<string, string>;
  readonly notes: readonly string[];
  /** Properties to show when the provider's check() changed the inputs (a reason it adds). */
  readonly extra?: readonly PropertyChange[];
}

async function dynamicVerdict(programDir: string, before: SnapshotResource, after: SnapshotResource, candidates: readonly Candidate[]): Promise<Verdict> {
  const provider = dynamicProvider(programDir, after.type);
  const rule = dynamicProviderRules[after.type];
  if (typeof provider === "string") {
    return { kind: candidates.length > 0 ? "update" : "same", replaces: new Map(), notes: [`replacement not known: ${provider}`] };
  }
  const withoutBookkeeping = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(unwrapSecrets(values) as Record<string, unknown>).filter(([key]) => !key.startsWith("__")));
  let oldInputs = withoutBookkeeping(before.inputs);
  let news = withoutBookkeeping(after.inputs);
  for (const candidate of candidates) if (candidate.change.unknownUntil) news[candidate.property] = unknownValue;
  try {
    // The engine keeps the inputs check() returned at the last update, and passes the new ones
    // through check() before diff(): both sides go through it here. Offline its failures say only
    // that secrets are stand-ins, so they are not reported.
    if (provider.check) {
      oldInputs = (await provider.check({}, oldInputs)).inputs ?? oldInputs;
      news = (await provider.check({ ...withoutBookkeeping(before.outputs), ...oldInputs }, news)).inputs ?? news;
    }
    // The state: what create returned, the checked inputs with the computed outputs (the mocks echo raw inputs).
    const olds = { ...withoutBookkeeping(before.outputs), ...oldInputs };
    const extra: PropertyChange[] = Object.keys(news)
      .filter((key) => !candidates.some((c) => c.property === key) && canonicalJson(oldInputs[key]) !== canonicalJson(news[key]) && news[key] !== unknownValue)
      .map((key): PropertyChange => {
        // check() hands values back unwrapped: one is secret when either side marked it, or the resource declares it so.
        const secret = containsSecret(before.inputs[key]) || containsSecret(after.inputs[key]) || after.additionalSecretOutputs.includes(key);
        if (secret) return { property: key, ...(key in oldInputs ? { before: "[secret]" } : {}), after: "[secret]", secret };
        return { property: key, ...(key in oldInputs ? { before: oldInputs[key] } : {}), after: news[key], secret };
      });
    if (!provider.diff) return { kind: candidates.length > 0 || extra.length > 0 ? "update" : "same", replaces: new Map(), notes: [`decided by ${rule!.source}`], extra };
    const result = await provider.diff(before.id ?? "", olds, news);
    if (result.changes === false) return { kind: "same", replaces: new Map(), notes: [] };
    const replaces = new Map((result.replaces ?? []).map((property) => [property, `its provider replaces on ${property} (${rule!.source})`]));
    const kind = replaces.size > 0 ? "replace" : result.changes === true || candidates.length > 0 || extra.length > 0 ? "update" : "same";
    return { kind, replaces, notes: [], extra };
  } catch (error) {
    return { kind: candidates.length > 0 ? "update" : "same", replaces: new Map(), notes: [`replacement not known: its provider's diff failed (${(error as Error).message.split("\n")[0]})`] };
  }
}

function ruleVerdict(before: SnapshotResource, after: SnapshotResource, candidates: readonly Candidate[]): Verdict {
  if (candidates.length === 0) return { kind: "same", replaces: new Map(), notes: [] };
  const rule = replacementRules[after.type];
  const replaces = new Map<string, string>();
  const notes: string[] = [];
  const forced = new Set([...(rule?.replaceOn ?? []), ...after.replaceOnChanges.map(topLevel)]);
  for (const { property } of candidates) {
    if (forced.has(property)) {
      const why = rule?.replaceOn.includes(property) ? rule.cite : "the resource's replaceOnChanges option";
      replaces.set(property, `${property} forces a new resource (${why})`);
    }
    const conditional = rule?.replaceWhen?.[property];
    const old = unwrapSecrets(before.inputs[property]);
    const next = unwrapSecrets(after.inputs[property]);
    if (conditional && conditional.test(old, next)) replaces.set(property, `${property}: ${conditional.why}`);
    const disruption = rule?.disruptiveUpdates?.[property];
    if (disruption && !replaces.has(property)) notes.push(`${property} changes in place, with downtime: ${disruption}`);
  }
  if (!rule) notes.push(`no replacement rule for ${after.type} in tools/diff/replacementRules.ts: shown as an update`);
  if (replaces.size === 0 && rule?.onUpdate) notes.push(`the update ${rule.onUpdate}`);
  return { kind: replaces.size > 0 ? "replace" : "update", replaces, notes };
}

export interface CompareOptions {
  /** The head program's directory: a dynamic resource's provider is loaded from there. */
  readonly headProgramDir: string;
}

/** Every change from base to head, in the head's registration order, deletions last. */
export async function compareResources(base: readonly SnapshotResource[], head: readonly SnapshotResource[], options: CompareOptions): Promise<ResourceChange[]> {
  const baseByUrn = new Map(base.map((r) => [r.urn, r]));
  const headUrns = new Set(head.map((r) => r.urn));
  /** URN of each replaced resource -> how to name it in "known after ... is replaced". */
  const replaced = new Map<string, string>();
  const changes: ResourceChange[] = [];
  // Dependencies register before their dependents, so one pass in order sees every replacement
  // a property depends on before the property.
  for (const after of head) {
    const before = baseByUrn.get(after.urn);
    if (!before) {
      changes.push({ urn: after.urn, type: after.type, name: after.name, custom: after.custom, kind: "create", properties: [], notes: [] });
      continue;
    }
    if (!after.custom) continue;
    const candidates = candidateChanges(before, after, replaced);
    const verdict = after.type.startsWith("pulumi-nodejs:dynamic/")
      ? await dynamicVerdict(options.headProgramDir, before, after, candidates)
      : ruleVerdict(before, after, candidates);
    if (verdict.kind === "same") continue;
    if (verdict.kind === "replace") replaced.set(after.urn, label(after));
    const notes = [...verdict.notes];
    if (verdict.kind === "replace" && after.deleteBeforeReplace) notes.push("the old one is deleted before the new one is created");
    changes.push({
      urn: after.urn,
      type: after.type,
      name: after.name,
      custom: true,
      kind: verdict.kind,
      properties: [
        ...candidates.map(({ property, change }) => ({ ...change, ...(verdict.replaces.has(property) ? { replaces: verdict.replaces.get(property)! } : {}) })),
        ...(verdict.extra ?? []),
        ...[...verdict.replaces].filter(([property]) => !candidates.some((c) => c.property === property)).map(([property, why]) => ({ property, secret: false, replaces: why })),
      ],
      notes,
    });
  }
  for (const before of base) {
    if (!headUrns.has(before.urn)) changes.push({ urn: before.urn, type: before.type, name: before.name, custom: before.custom, kind: "delete", properties: [], notes: [] });
  }
  return withMovesNoted(changes);
}

/**
 * A resource created and one deleted with the same type and name moved in the component tree: its
 * URN changed, so the engine deletes and re-creates it, unless the new one declares the old URN as an alias.
 */
function withMovesNoted(changes: ResourceChange[]): ResourceChange[] {
  const key = (c: ResourceChange) => `${c.type}::${c.name}`;
  const created = new Set(changes.filter((c) => c.kind === "create").map(key));
  const deleted = new Set(changes.filter((c) => c.kind === "delete").map(key));
  const note = "moved in the component tree (its URN changed): deleted and created again, unless the new resource declares the old URN as an alias";
  return changes.map((c) => ((c.kind === "create" && deleted.has(key(c))) || (c.kind === "delete" && created.has(key(c))) ? { ...c, notes: [...c.notes, note] } : c));
}
