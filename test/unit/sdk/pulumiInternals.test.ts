// Every reach into a private part of @pulumi/pulumi or @pulumi/policy, exercised against the
// installed SDKs. A failure here names the versions: an upgrade changed something we rely on, and
// policies/pulumiInternals.ts is the one file to revisit.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  analyzerAssetText,
  analyzerProxy,
  analyzerUnknownValue,
  deserializeWireProperties,
  isAnalyzerUnknownValueError,
  mockResourceMonitor,
  pulumiSdkVersions,
  replaceDynamicProviderSerialization,
  serializeWireProperties,
  skipUnreadStackCaptures,
  waitForRpcs,
  withoutAnalyzerProxy,
} from "../../../policies/pulumiInternals";
import { ResourceCapture } from "../../../tools/mockRuntime/capture";
import { secretSignature, secretSignatureKey } from "../../../tools/mockRuntime/secrets";

const versions = pulumiSdkVersions();
const sdk = `@pulumi/pulumi ${versions.pulumi}, @pulumi/policy ${versions.policy}`;

class Thing extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super("test:index:Thing", name, props, opts);
  }
}

class Parent extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:index:Parent", name, {}, {});
    const first = new Thing(`${name}-first`, { size: 1 }, { parent: this });
    new Thing(
      `${name}-second`,
      { after: first.urn, secretInput: pulumi.secret("s") },
      { parent: this, dependsOn: [first], ignoreChanges: ["size"], additionalSecretOutputs: ["token"] },
    );
    this.registerOutputs({ answer: 42, hidden: pulumi.secret("h") });
  }
}

describe(`the reaches into ${sdk}`, () => {
  it("the mock monitor's registerResource and registerResourceOutputs carry what the plan records", async () => {
    await pulumi.runtime.setMocks({ newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, token: "t" } }), call: (args) => args.inputs }, "project", "stack", false);
    const monitor = mockResourceMonitor();
    expect(typeof monitor.registerResource, `${sdk}: the mock monitor has no registerResource`).toBe("function");
    expect(typeof monitor.registerResourceOutputs, `${sdk}: the mock monitor has no registerResourceOutputs`).toBe("function");
    const capture = new ResourceCapture();
    capture.install();
    await pulumi.runtime.runInPulumiStack(async () => {
      new Parent("p");
    });
    await waitForRpcs();
    await capture.whenIdle();
    const parent = capture.resources.find((r) => r.type === "test:index:Parent")!;
    const first = capture.resources.find((r) => r.name === "p-first")!;
    const second = capture.resources.find((r) => r.name === "p-second")!;
    expect(second, `${sdk}: a registration was not captured`).toBeDefined();
    expect(second.parent, `${sdk}: RegisterResourceRequest.getParent`).toBe(parent.urn);
    expect(second.dependencies, `${sdk}: getDependenciesList`).toContain(first.urn);
    expect(second.propertyDependencies.after, `${sdk}: getPropertydependenciesMap`).toEqual([first.urn]);
    expect(second.ignoreChanges, `${sdk}: getIgnorechangesList`).toEqual(["size"]);
    expect(second.additionalSecretOutputs, `${sdk}: getAdditionalsecretoutputsList`).toEqual(["token"]);
    expect(second.inputs.secretInput, `${sdk}: secrets on the wire`).toEqual({ [secretSignatureKey]: secretSignature, value: "s" });
    expect(first.id, `${sdk}: RegisterResourceResponse.getId`).toBe("p-first-id");
    expect(capture.componentOutputs.get(parent.urn), `${sdk}: RegisterResourceOutputsRequest`).toEqual({
      answer: 42,
      hidden: { [secretSignatureKey]: secretSignature, value: "h" },
    });
  });

  it("serializes and deserializes properties with the wire's secret marker", async () => {
    const wire = await serializeWireProperties("test", { a: 1, s: pulumi.secret("x"), o: pulumi.output("y") });
    expect(wire, `${sdk}: runtime/rpc serializeProperties`).toEqual({ a: 1, s: { [secretSignatureKey]: secretSignature, value: "x" }, o: "y" });
    const struct = (require("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(v: unknown): unknown } }).Struct.fromJavaScript(wire);
    expect(deserializeWireProperties(struct), `${sdk}: runtime/rpc deserializeProperties`).toEqual(wire);
  });

  it("skips the stack captures a mock run never reads, and keeps promises working", async () => {
    skipUnreadStackCaptures();
    const resourceModule = require("@pulumi/pulumi/resource") as { Resource: { stackTrace(skip: number): unknown[] } };
    expect(resourceModule.Resource.stackTrace(0), `${sdk}: Resource.stackTrace`).toEqual([]);
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T> };
    expect(await debuggable.debuggablePromise(Promise.resolve(7), "test"), `${sdk}: runtime/debuggable debuggablePromise`).toBe(7);
  });

  it("replaces the dynamic provider's serialization with a placeholder (tools/mockRuntime/dynamicProviderCode.ts)", async () => {
    const serializeClosure = require("@pulumi/pulumi/runtime/closure/serializeClosure") as { serializeFunction(f: unknown): Promise<{ text: string }> };
    expect((await serializeClosure.serializeFunction(() => 1)).text, `${sdk}: runtime/closure/serializeClosure serializeFunction`).toMatch(/exports\.handler/);
    replaceDynamicProviderSerialization("placeholder");
    expect((await serializeClosure.serializeFunction(() => 1)).text).toBe("placeholder");
  });

  it("wraps props in the analyzer's proxy, whose unknown reads throw its UnknownValueError", () => {
    const props = analyzerProxy({ known: "k", unknown: analyzerUnknownValue(), nested: { list: [1] } });
    expect(props.known).toBe("k");
    expect(props.nested.list[0]).toBe(1);
    let thrown: unknown;
    try {
      void props.unknown;
    } catch (error) {
      thrown = error;
    }
    expect(isAnalyzerUnknownValueError(thrown), `${sdk}: proxy.js unknownCheckingProxy/UnknownValueError/unknownStringValue`).toBe(true);
    expect(isAnalyzerUnknownValueError(new Error("other"))).toBe(false);
    expect(withoutAnalyzerProxy(props.nested), `${sdk}: proxy.js isSpecialProxy/getSpecialProxyTarget`).toEqual({ list: [1] });
  });

  it("reads a proxied StringAsset's text, which cannot be awaited through the proxy", async () => {
    const props = analyzerProxy({ source: new pulumi.asset.StringAsset("bundle text") });
    await expect(Promise.resolve(props.source.text as unknown as Promise<string>), `${sdk}: a proxied promise became awaitable`).rejects.toThrow();
    expect(await analyzerAssetText(props.source), `${sdk}: the asset's text`).toBe("bundle text");
    expect(await analyzerAssetText(analyzerProxy({ s: "plain" }).s)).toBeUndefined();
  });
});
