/**
 * The argument objects @pulumi/policy's analyzer server (server.js) hands to policies, built from
 * a captured registration instead of a gRPC request:
 *
 * - props are the resource's inputs (resource policies) or outputs (stack policies), secrets
 *   unwrapped, every value the engine would not know during preview replaced by the analyzer's
 *   unknown sentinel, and wrapped in the package's own unknown-checking proxy, so reading one
 *   throws the same UnknownValueError as under the CLI;
 * - a fresh copy per policy call, as the server deserializes the request for each;
 * - `notApplicable()` throws a sentinel, `stackTags` is a read-only Map, `isType`/`asType` compare
 *   type tokens, `getConfig()` returns the policy's settings without `enforcementLevel`;
 * - stack resources have `parent`, `dependencies` and `propertyDependencies` resolved to the
 *   other PolicyResource objects.
 */

import * as pulumi from "@pulumi/pulumi";
import type {
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import { analyzerProxy, analyzerUnknownValue, withoutAnalyzerProxy } from "../../policies/pulumiInternals";
import type { CapturedResource } from "../mockRuntime/capture";
import { isSecretMarker } from "../mockRuntime/secrets";

/** Thrown by `notApplicable()`: the policy does not apply to this resource. */
export class NotApplicableSignal extends Error {
  override name = "NotApplicableSignal";
  constructor(readonly reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}

/**
 * Most (policy, resource) pairs end here, so one signal per reason is made and thrown again:
 * building an Error (its stack trace) for each pair was a third of an evaluation's time.
 */
const notApplicableSignals = new Map<string | undefined, NotApplicableSignal>();

function throwNotApplicable(reason?: string): never {
  let signal = notApplicableSignals.get(reason);
  if (!signal) {
    signal = new NotApplicableSignal(reason);
    if (notApplicableSignals.size < 1000) notApplicableSignals.set(reason, signal);
  }
  throw signal;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * A captured value as the analyzer receives it: secrets unwrapped, unknowns as the unknown
 * sentinel, undefined properties dropped (they are absent on the wire). Assets and other runtime
 * objects are kept, as the analyzer deserializes them into objects too.
 */
export function toAnalyzerValue(value: unknown): unknown {
  if (pulumi.isUnknown(value)) return analyzerUnknownValue();
  if (isSecretMarker(value)) return toAnalyzerValue(value.value);
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : toAnalyzerValue(item)));
  if (isPlainObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) result[key] = toAnalyzerValue(item);
    return result;
  }
  return value;
}

/** A fresh copy of an analyzer value (plain objects and arrays copied, runtime objects shared). */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (isPlainObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = copy(item);
    return result;
  }
  return value;
}

/** The plain value behind the analyzer's proxies (what a remediation returns may contain them). */
export function unproxy(value: unknown): unknown {
  const target = withoutAnalyzerProxy(value);
  if (target !== value) return unproxy(target);
  if (Array.isArray(value)) return value.map(unproxy);
  if (isPlainObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) result[key] = unproxy(item);
    return result;
  }
  if (typeof value === "object" && value !== null) {
    // A remediation marks a value secret with @pulumi/policy's Secret; the runner shows it plain,
    // as policies see secrets. Loaded lazily: the package's index also loads the gRPC server code.
    const { Secret } = require("@pulumi/policy") as { Secret: new (value: unknown) => { value: unknown } };
    if (value instanceof Secret) return unproxy(value.value);
  }
  return value;
}

/** Fresh, proxied props for one policy call. */
export function proxiedProps(wire: Record<string, unknown>): Record<string, unknown> {
  return analyzerProxy(copy(wire) as Record<string, unknown>);
}

/** A read-only Map, as the server freezes stack tags. */
export function freezeMap(map: Map<string, string>): ReadonlyMap<string, string> {
  return Object.freeze({
    entries: map.entries.bind(map),
    forEach: map.forEach.bind(map),
    get: map.get.bind(map),
    has: map.has.bind(map),
    keys: map.keys.bind(map),
    size: map.size,
    values: map.values.bind(map),
    [Symbol.iterator]: map[Symbol.iterator].bind(map),
  }) as ReadonlyMap<string, string>;
}

/** As the server's isTypeOf: a class's `__pulumiType`, else its `isInstance`. */
export function isTypeOf(type: string, resourceClass: unknown): boolean {
  const pulumiType = (resourceClass as { __pulumiType?: unknown })?.__pulumiType;
  if (typeof pulumiType === "string" && pulumiType.length > 0) return type === pulumiType;
  const isInstance = (resourceClass as { isInstance?: unknown })?.isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

export function resourceOptions(resource: CapturedResource): PolicyResourceOptions {
  const opts: PolicyResourceOptions = {
    protect: resource.protect,
    ignoreChanges: [...resource.ignoreChanges],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [...resource.additionalSecretOutputs],
  };
  // The request says whether deleteBeforeReplace was set; a capture only knows true from unset.
  if (resource.deleteBeforeReplace) opts.deleteBeforeReplace = true;
  if (resource.parent) opts.parent = resource.parent;
  return opts;
}

/** What a policy sees of one captured resource, computed once per evaluation. */
export interface AnalyzerResource {
  readonly captured: CapturedResource;
  /** Inputs on the wire (resource policies), possibly replaced by remediations. */
  inputs: Record<string, unknown>;
  /** Outputs on the wire (stack policies). */
  outputs: Record<string, unknown>;
}

export function analyzerResource(captured: CapturedResource): AnalyzerResource {
  const inputs = toAnalyzerValue(captured.inputs) as Record<string, unknown>;
  const outputs = toAnalyzerValue(captured.outputs) as Record<string, unknown>;
  // Bridged providers report the id among a resource's outputs; the mocks keep it apart.
  if (captured.custom && captured.id !== undefined && !("id" in outputs)) outputs.id = captured.id;
  return { captured, inputs, outputs };
}

/** The explicit provider behind a `urn::id` provider reference, when the program registered it. */
export function providerResource(resource: CapturedResource, byUrn: ReadonlyMap<string, AnalyzerResource>): PolicyProviderResource | undefined {
  if (!resource.provider) return undefined;
  const urn = resource.provider.slice(0, resource.provider.lastIndexOf("::"));
  const provider = byUrn.get(urn);
  if (!provider) return undefined;
  return { type: provider.captured.type, props: proxiedProps(provider.inputs), urn, name: provider.captured.name };
}

export interface ArgsContext {
  readonly stackTags: ReadonlyMap<string, string>;
  readonly byUrn: ReadonlyMap<string, AnalyzerResource>;
  readonly getConfig: () => Record<string, unknown>;
}

export function resourceValidationArgs(resource: AnalyzerResource, context: ArgsContext): ResourceValidationArgs {
  const { captured } = resource;
  // The copy is made on first use: most (policy, resource) pairs end in notApplicable() unread.
  let props: Record<string, unknown> | undefined;
  const getProps = (): Record<string, unknown> => (props ??= proxiedProps(resource.inputs));
  const args = {
    type: captured.type,
    urn: captured.urn,
    name: captured.name,
    opts: resourceOptions(captured),
    stackTags: context.stackTags,
    isType: (resourceClass: unknown) => isTypeOf(captured.type, resourceClass),
    asType: (resourceClass: unknown) => (isTypeOf(captured.type, resourceClass) ? getProps() : undefined),
    getConfig: () => context.getConfig(),
    notApplicable: throwNotApplicable,
  } as unknown as ResourceValidationArgs;
  Object.defineProperty(args, "props", { get: getProps, enumerable: true });
  const provider = providerResource(captured, context.byUrn);
  if (provider) args.provider = provider;
  return args;
}

/** Every resource as a PolicyResource with its relations resolved, fresh for one stack policy. */
export function stackValidationArgs(resources: readonly AnalyzerResource[], context: ArgsContext): StackValidationArgs {
  const policyResources = new Map<string, PolicyResource>();
  const intermediates = resources.map((resource) => {
    const { captured } = resource;
    // As for resource policies, the copy is made when a policy first reads it.
    let props: Record<string, unknown> | undefined;
    const getProps = (): Record<string, unknown> => (props ??= proxiedProps(resource.outputs));
    const policyResource = {
      type: captured.type,
      urn: captured.urn,
      name: captured.name,
      opts: resourceOptions(captured),
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass: unknown) => isTypeOf(captured.type, resourceClass),
      asType: (resourceClass: unknown) => (isTypeOf(captured.type, resourceClass) ? getProps() : undefined),
    } as unknown as PolicyResource;
    Object.defineProperty(policyResource, "props", { get: getProps, enumerable: true });
    const provider = providerResource(captured, context.byUrn);
    if (provider) policyResource.provider = provider;
    policyResources.set(captured.urn, policyResource);
    return { policyResource, captured };
  });
  for (const { policyResource, captured } of intermediates) {
    const resolve = (urns: readonly string[]): PolicyResource[] =>
      urns.map((urn) => policyResources.get(urn)).filter((r): r is PolicyResource => r !== undefined);
    const parent = captured.parent ? policyResources.get(captured.parent) : undefined;
    if (parent) policyResource.parent = parent;
    policyResource.dependencies = resolve(captured.dependencies);
    for (const [key, urns] of Object.entries(captured.propertyDependencies)) policyResource.propertyDependencies[key] = resolve(urns);
  }
  return {
    resources: intermediates.map((i) => i.policyResource),
    stackTags: context.stackTags,
    getConfig: <T extends object>() => context.getConfig() as T,
    notApplicable: throwNotApplicable,
  };
}
