/**
 * One side of a diff: a stack planned offline from one program tree, reduced to what the diff
 * compares (resources with their inputs, the stack outputs, the policy report, the host bundle
 * that ships) and nothing more, so a run over many stacks holds two stacks at a time at most.
 */

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Policy } from "@pulumi/policy";
import { unpackHostBundle, type UnpackedBundleFile } from "../../hostBundle/format/hostBundleArchive";
import type { CapturedResource } from "../mockRuntime/capture";
import { isSecretMarker, secretSignature, secretSignatureKey, unwrapSecrets } from "../mockRuntime/secrets";
import type { PolicyReport } from "../policy/evaluate";
import { runPolicyCheck } from "../policy/runPolicyCheck";

/** An asset stands in as the hash of its text: equal text, equal value. */
export interface AssetDigest {
  readonly asset: string;
}

export interface SnapshotResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent?: string;
  readonly id?: string;
  /** Inputs with secret markers kept and assets as digests. */
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  readonly propertyDependencies: Record<string, string[]>;
  readonly ignoreChanges: readonly string[];
  readonly replaceOnChanges: readonly string[];
  readonly deleteBeforeReplace: boolean;
  /** Outputs the resource declares secret: an input of that name is never shown either. */
  readonly additionalSecretOutputs: readonly string[];
}

/** The files that ship, by host path, and the bundle's own scripts. */
export interface SnapshotBundle {
  readonly hash: string;
  readonly files: readonly UnpackedBundleFile[];
  /** apply.sh and apply-settings.sh: they run as root on the host, so a change to them is shown too. */
  readonly scripts: readonly { readonly path: string; readonly content: string }[];
}

export interface StackSnapshot {
  readonly stack: string;
  readonly project: string;
  readonly resources: readonly SnapshotResource[];
  /** Stack outputs, secret markers kept. */
  readonly outputs: Record<string, unknown>;
  readonly report: PolicyReport;
  /** The uploaded host bundle, or why it could not be read; undefined when the program uploads none. */
  readonly bundle?: SnapshotBundle | { readonly error: string };
}

/** The policy pack a side is judged by: its own tree's, so a new policy shows as what the change brings. */
export interface SidePolicies {
  readonly policies: readonly Policy[];
  readonly name: string;
  readonly version: string;
}

/** The pack of a program tree (policies/pack.ts and its package.json), or undefined when it has none. */
export function loadTreePolicies(programDir: string): SidePolicies | undefined {
  const packModule = join(programDir, "policies/pack.ts");
  if (!existsSync(packModule)) return undefined;
  const pack = require(packModule) as { mailSecurityPolicies?: readonly Policy[]; policyPackName?: string };
  if (!pack.mailSecurityPolicies || !pack.policyPackName) return undefined;
  const { version } = JSON.parse(readFileSync(join(programDir, "policies/package.json"), "utf8")) as { version: string };
  return { policies: pack.mailSecurityPolicies, name: pack.policyPackName, version };
}

interface StringAssetLike {
  readonly text: Promise<string> | string;
}

function isTextAsset(value: unknown): value is StringAssetLike {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>).__pulumiAsset === true && "text" in value;
}

/** The value with every text asset replaced by its digest; `texts` collects each asset's text by digest. */
async function withAssetDigests(value: unknown, texts: Map<string, string>): Promise<unknown> {
  if (isTextAsset(value)) {
    const text = await value.text;
    const digest = `sha256:${createHash("sha256").update(text).digest("hex")}`;
    texts.set(digest, text);
    return { asset: digest } satisfies AssetDigest;
  }
  if (isSecretMarker(value)) return { [secretSignatureKey]: secretSignature, value: await withAssetDigests(value.value, texts) };
  if (Array.isArray(value)) return Promise.all(value.map((item) => withAssetDigests(item, texts)));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await withAssetDigests(item, texts)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

async function snapshotResource(resource: CapturedResource, texts: Map<string, string>): Promise<SnapshotResource> {
  return {
    urn: resource.urn,
    type: resource.type,
    name: resource.name,
    custom: resource.custom,
    ...(resource.parent ? { parent: resource.parent } : {}),
    ...(resource.id ? { id: resource.id } : {}),
    inputs: (await withAssetDigests(resource.inputs, texts)) as Record<string, unknown>,
    outputs: (await withAssetDigests(resource.outputs, texts)) as Record<string, unknown>,
    propertyDependencies: resource.propertyDependencies,
    ignoreChanges: resource.ignoreChanges,
    replaceOnChanges: resource.replaceOnChanges,
    deleteBeforeReplace: resource.deleteBeforeReplace,
    additionalSecretOutputs: resource.additionalSecretOutputs,
  };
}

/** The host bundle inside the program's uploads, read with this tree's bundle reader. */
async function uploadedBundle(resources: readonly SnapshotResource[], texts: ReadonlyMap<string, string>): Promise<StackSnapshot["bundle"]> {
  for (const resource of resources.filter((r) => r.type === "command:remote:CopyToRemote")) {
    const source = unwrapSecrets(resource.inputs.source) as Partial<AssetDigest> | undefined;
    const text = typeof source?.asset === "string" ? texts.get(source.asset) : undefined;
    if (text === undefined) continue;
    try {
      const bundle = await unpackHostBundle(text);
      if (!bundle) continue;
      const scripts = ["apply.sh", "apply-settings.sh"].flatMap((path) => {
        const entry = bundle.tree.get(path);
        return entry ? [{ path, content: entry.content }] : [];
      });
      return { hash: bundle.hash, files: bundle.files, scripts };
    } catch (error) {
      return { error: `${resource.name}: ${(error as Error).message}` };
    }
  }
  return undefined;
}

export interface SnapshotOptions {
  readonly programDir: string;
  readonly stack: string;
  readonly policies?: SidePolicies;
  readonly policyPackConfig?: string;
  readonly timeoutMs: number;
}

/** Plans the stack from one program tree and keeps what the diff needs. */
export async function snapshotStack(options: SnapshotOptions): Promise<StackSnapshot> {
  const { run, report } = await runPolicyCheck(
    { programDir: options.programDir, stack: options.stack, configFile: options.policyPackConfig, timeoutMs: options.timeoutMs, ...(options.policies ? { policies: options.policies.policies } : {}) },
    options.policies ? { policyPackName: options.policies.name, policyPackVersion: options.policies.version } : {},
  );
  const texts = new Map<string, string>();
  const resources: SnapshotResource[] = [];
  for (const resource of run.resources) resources.push(await snapshotResource(resource, texts));
  const bundle = await uploadedBundle(resources, texts);
  return { stack: run.stack, project: run.project, resources, outputs: run.outputs, report, ...(bundle ? { bundle } : {}) };
}
