/**
 * The one place that reaches into private parts of @pulumi/pulumi and @pulumi/policy: modules and
 * properties their typings do not export, and the two patches the offline tools apply for speed.
 * Each reach is a small function here; test/unit/sdk/pulumiInternals.test.ts exercises every one
 * against the installed SDKs and names their versions when an upgrade changes what we rely on.
 *
 * It lives in the policy workspace because the pack needs one of these reaches itself (the text of
 * an uploaded asset) and may import nothing above it; the mock runtime and the offline policy
 * runner in tools/ import it from here. Nothing is required at load time: the analyzer loads this
 * module too, and must not pay for what only the tools use.
 */

/** The installed SDK versions, named by every failure of the reaches below. */
export function pulumiSdkVersions(): { readonly pulumi: string; readonly policy: string } {
  const version = (name: string): string => (require(`${name}/package.json`) as { version: string }).version.replace(/^v/, "");
  return { pulumi: version("@pulumi/pulumi"), policy: version("@pulumi/policy") };
}

// ------------------------------------------------------------------------------------------------
// @pulumi/policy: the analyzer's property proxy (proxy.js; only unknownCheckingProxy and
// UnknownValueError are exported by the package's index).

interface PolicyProxyModule {
  unknownCheckingProxy<T>(value: T): T;
  UnknownValueError: new (...args: never[]) => Error;
  unknownStringValue: string;
  isSpecialProxy: string;
  getSpecialProxyTarget: string;
}

let loadedPolicyProxy: PolicyProxyModule | undefined;

function policyProxy(): PolicyProxyModule {
  return (loadedPolicyProxy ??= require("@pulumi/policy/proxy") as PolicyProxyModule);
}

/** The sentinel the analyzer puts where the engine sends an unknown value (preview). */
export function analyzerUnknownValue(): string {
  return policyProxy().unknownStringValue;
}

/** Wraps props as the analyzer does: reading an unknown throws UnknownValueError. */
export function analyzerProxy<T>(value: T): T {
  return policyProxy().unknownCheckingProxy(value);
}

/** Whether an error is the analyzer's "value unknown during preview". */
export function isAnalyzerUnknownValueError(error: unknown): boolean {
  return error instanceof policyProxy().UnknownValueError;
}

/** The object behind the analyzer's proxy (a proxied Promise cannot be awaited), at any depth. */
export function withoutAnalyzerProxy(value: unknown): unknown {
  const proxy = policyProxy();
  if (typeof value === "object" && value !== null && (value as Record<string, unknown>)[proxy.isSpecialProxy] === true) {
    return withoutAnalyzerProxy((value as Record<string, unknown>)[proxy.getSpecialProxyTarget]);
  }
  return value;
}

/**
 * The text of a StringAsset as a policy receives it: the analyzer deserializes the wire's text into
 * `new StringAsset(text)`, whose `text` is a Promise, and proxies it.
 */
export async function analyzerAssetText(asset: unknown): Promise<string | undefined> {
  const plain = withoutAnalyzerProxy(asset);
  if (typeof plain !== "object" || plain === null) return undefined;
  const text = await withoutAnalyzerProxy((plain as { text?: unknown }).text);
  return typeof text === "string" ? text : undefined;
}

// ------------------------------------------------------------------------------------------------
// @pulumi/pulumi: the mock runtime's monitor, the RPC layer and the stack captures.

/** The parts of a RegisterResourceRequest (protobuf, runtime/proto) the plan records. */
export interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): unknown;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getProvider(): string;
  getProtect(): boolean;
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
}

export interface RegisterResourceResponse {
  getUrn(): string;
  getId(): string;
  getObject(): unknown;
}

export interface RegisterResourceOutputsRequest {
  getUrn(): string;
  getOutputs(): unknown;
}

type Callback<T> = (err: Error | null, resp?: T) => void;

/** The monitor calls the plan wraps: every registration and every component's registerOutputs. */
export interface ResourceMonitor {
  registerResource(req: RegisterResourceRequest, callback: Callback<RegisterResourceResponse>): void;
  registerResourceOutputs(req: RegisterResourceOutputsRequest, callback: Callback<unknown>): void;
}

/** The monitor `setMocks` installed (runtime/settings.js). */
export function mockResourceMonitor(): ResourceMonitor {
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): ResourceMonitor | undefined };
  const monitor = settings.getMonitor();
  if (!monitor) throw new Error("no resource monitor: call pulumi.runtime.setMocks first");
  return monitor;
}

/** Resolves once every RPC the program started has finished (runtime/settings.js, not exported). */
export function waitForRpcs(): Promise<void> {
  return (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

/** A protobuf Struct of the wire into JavaScript values, secrets as their wire markers. */
export function deserializeWireProperties(struct: unknown): Record<string, unknown> {
  return (require("@pulumi/pulumi/runtime/rpc") as { deserializeProperties(s: unknown): Record<string, unknown> }).deserializeProperties(struct);
}

/** Values (Outputs included) as the engine would receive them as stack outputs. */
export function serializeWireProperties(label: string, props: unknown): Promise<Record<string, unknown>> {
  return (require("@pulumi/pulumi/runtime/rpc") as { serializeProperties(label: string, props: unknown): Promise<Record<string, unknown>> }).serializeProperties(label, props);
}

/**
 * Under the mock runtime nothing reads the stack traces the SDK captures: the mock monitor ignores
 * a registration's source position, and a promise's creation stack is printed only by the leak
 * detector's debug mode. Formatting those traces (through source maps, under tsx) was over half of
 * a plan's CPU time, so mock runs skip them. The real engine path never calls this.
 */
export function skipUnreadStackCaptures(): void {
  const resourceModule = require("@pulumi/pulumi/resource") as { Resource: { stackTrace(skip: number): unknown[] } };
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
    debugPromiseLeaks: boolean;
  };
  if (typeof resourceModule.Resource.stackTrace !== "function" || typeof debuggable.debuggablePromise !== "function") {
    const { pulumi } = pulumiSdkVersions();
    throw new Error(`@pulumi/pulumi ${pulumi} has no Resource.stackTrace or debuggablePromise; revisit skipUnreadStackCaptures`);
  }
  resourceModule.Resource.stackTrace = () => [];
  if (debuggable.debugPromiseLeaks || process.env.PULUMI_DEBUG_PROMISE_LEAKS) return;
  if ((debuggable.debuggablePromise as { withoutStack?: boolean }).withoutStack) return;
  const original = debuggable.debuggablePromise;
  const withoutStack = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original(p, ctx);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  debuggable.debuggablePromise = Object.assign(withoutStack, { withoutStack: true });
}

/**
 * A dynamic resource carries its provider's code as the input `__provider`, which the SDK makes by
 * serializing the provider's closure (inspector, a TypeScript parse, a walk of the npm dependency
 * tree): over a second per process. Offline nothing runs that code, so the offline tools have
 * every dynamic resource register `placeholder` instead. runtime/closure/serializeClosure is not
 * exported; the dynamic module calls its serializeFunction through the module object.
 */
export function replaceDynamicProviderSerialization(placeholder: string): void {
  const serializeClosure = require("@pulumi/pulumi/runtime/closure/serializeClosure") as {
    serializeFunction(func: unknown, args?: unknown): Promise<{ text: string; exportName: string; containsSecrets: boolean }>;
  };
  if (typeof serializeClosure.serializeFunction !== "function") {
    const { pulumi } = pulumiSdkVersions();
    throw new Error(`@pulumi/pulumi ${pulumi} has no runtime/closure/serializeClosure.serializeFunction; revisit replaceDynamicProviderSerialization`);
  }
  serializeClosure.serializeFunction = async () => ({ text: placeholder, exportName: "handler", containsSecrets: false });
}
