// The in-process runner builds the same argument objects as @pulumi/policy's analyzer server and
// applies enforcement levels and config as the engine does.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as digitalocean from "@pulumi/digitalocean";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { mailSecurityPolicies } from "../../../policies/pack";
import { secretSignature, secretSignatureKey } from "../../../tools/mockRuntime/secrets";
import { evaluatePolicies, PolicyCrashError } from "../../../tools/policy/evaluate";
import { parsePolicyPackConfig, PolicyConfigError, readPolicyPackConfigFile } from "../../../tools/policy/packConfig";
import { renderPolicyReport } from "../../../tools/policy/render";
import { resource, stackResource, urnOf } from "./support";

const secret = (value: unknown) => ({ [secretSignatureKey]: secretSignature, value });

/** A resource policy that hands its arguments to the test. */
function spyPolicy(seen: ResourceValidationArgs[], extra: Partial<ResourceValidationPolicy> = {}): ResourceValidationPolicy {
  return {
    name: "spy",
    description: "Records what it is given.",
    enforcementLevel: "advisory",
    configSchema: { properties: { limit: { type: "integer", default: 3 }, names: { type: "array", items: { type: "string" }, default: [] } } },
    validateResource: (args) => {
      seen.push(args);
    },
    ...extra,
  };
}

const provider = resource("pulumi:providers:digitalocean", "eu", { token: secret("dop_v1_x"), version: "4.80.1" });
const firewall = resource(
  "digitalocean:index/firewall:Firewall",
  "fw",
  { name: "fw", tags: ["web"], inboundRules: [{ protocol: "tcp", portRange: "25", sourceAddresses: secret(["0.0.0.0/0"]) }], nested: { keep: undefined, value: 1 } },
  { provider: `${provider.urn}::provider-id`, protect: true, ignoreChanges: ["name"], additionalSecretOutputs: ["token"], id: "fw-1" },
);

describe("resource validation arguments", () => {
  it("are the analyzer's: inputs with secrets unwrapped, options, provider, config with defaults, a frozen tag map", async () => {
    const seen: ResourceValidationArgs[] = [];
    await evaluatePolicies([stackResource, provider, firewall], {
      policies: [spyPolicy(seen)],
      config: parsePolicyPackConfig({ spy: { enforcementLevel: "mandatory", names: ["a"] } }, "test"),
      stackTags: { "pulumi:project": "proj" },
    });
    const args = seen.find((a) => a.urn === firewall.urn)!;
    expect(args.type).toBe(firewall.type);
    expect(args.name).toBe("fw");
    expect(JSON.parse(JSON.stringify(args.props))).toEqual({ name: "fw", tags: ["web"], inboundRules: [{ protocol: "tcp", portRange: "25", sourceAddresses: ["0.0.0.0/0"] }], nested: { value: 1 } });
    expect(args.opts).toEqual({
      protect: true,
      ignoreChanges: ["name"],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: ["token"],
      parent: stackResource.urn,
    });
    expect(args.provider?.type).toBe("pulumi:providers:digitalocean");
    expect(args.provider?.urn).toBe(provider.urn);
    expect(args.provider?.props.token).toBe("dop_v1_x");
    expect(args.getConfig()).toEqual({ limit: 3, names: ["a"] });
    expect(args.stackTags.get("pulumi:project")).toBe("proj");
    expect([...args.stackTags]).toEqual([["pulumi:project", "proj"]]);
    expect(Object.isFrozen(args.stackTags)).toBe(true);
  });

  it("compare types like the analyzer: by a class's type token, or its isInstance", async () => {
    const seen: ResourceValidationArgs[] = [];
    await evaluatePolicies([firewall], { policies: [spyPolicy(seen)] });
    const [args] = seen;
    expect(args.isType(digitalocean.Firewall)).toBe(true);
    expect(args.isType(digitalocean.Droplet)).toBe(false);
    expect(args.asType(digitalocean.Firewall)?.tags).toEqual(["web"]);
    expect(args.asType(digitalocean.Droplet)).toBeUndefined();
    // A class without a type token is recognised through its isInstance, as the analyzer does.
    const byInstance = { isInstance: (obj: { __pulumiType?: string }) => obj.__pulumiType === "digitalocean:index/firewall:Firewall" };
    expect(args.isType(byInstance as unknown as new (...rest: unknown[]) => pulumi.CustomResource)).toBe(true);
  });

  it("give every policy call its own copy of the props", async () => {
    const seen: ResourceValidationArgs[] = [];
    const mutating = spyPolicy([], { name: "mutator", validateResource: (args) => void (args.props.tags[0] = "changed") });
    await evaluatePolicies([firewall], { policies: [mutating, spyPolicy(seen)] });
    expect(seen[0].props.tags).toEqual(["web"]);
  });

  it("throw the analyzer's UnknownValueError for a value unknown during preview, even nested", async () => {
    const pending = resource("digitalocean:index/firewall:Firewall", "pending", { inboundRules: [{ protocol: "tcp", sourceAddresses: [pulumi.unknown] }] });
    const policy = spyPolicy([], { validateResource: (args) => void String(args.props.inboundRules[0].sourceAddresses[0]) });
    const report = await evaluatePolicies([pending], { policies: [policy] });
    expect(report.diagnostics).toEqual([
      expect.objectContaining({
        enforcementLevel: "advisory",
        urn: pending.urn,
        message: "can't run policy 'spy' from policy pack 'mail-security-baseline@v0.1.0' during preview: string value at .inboundRules.0.sourceAddresses.0 can't be known during preview",
      }),
    ]);
  });

  it("count notApplicable() as the sentinel, never as a violation or a crash; skip by a validation's type token", async () => {
    let called = 0;
    const typed = Object.assign(() => void called++, { __pulumiType: "digitalocean:index/droplet:Droplet" });
    const report = await evaluatePolicies([stackResource, firewall], {
      policies: [
        spyPolicy([], { name: "skips", validateResource: (args) => args.notApplicable("not mine") }),
        spyPolicy([], { name: "typed", validateResource: typed }),
      ],
    });
    expect(report.diagnostics).toEqual([]);
    expect(report.notApplicableCount).toBe(4);
    expect(called).toBe(0);
  });
});

describe("stack validation arguments", () => {
  it("resolve parent, dependencies and property dependencies to the other resources; props are outputs with the id", async () => {
    const tag = resource("digitalocean:index/tag:Tag", "tag", { name: "web" }, { id: "web" });
    const droplet = resource("digitalocean:index/droplet:Droplet", "web", { tags: ["web"] }, {
      id: "123",
      dependencies: [tag.urn, "urn:pulumi:test::proj::gone::x"],
      propertyDependencies: { tags: [tag.urn] },
      outputs: { tags: ["web"], ipv4Address: "192.0.2.7", userData: secret("hash") },
    });
    let seen: StackValidationArgs | undefined;
    const policy: StackValidationPolicy = { name: "stack-spy", description: "d", enforcementLevel: "advisory", validateStack: (args) => void (seen = args) };
    await evaluatePolicies([stackResource, tag, droplet], { policies: [policy] });
    const byName = (name: string) => seen!.resources.find((r) => r.name === name) as PolicyResource;
    const web = byName("web");
    expect(web.parent).toBe(byName("proj-test"));
    expect(web.dependencies).toEqual([byName("tag")]);
    expect(web.dependencies[0]).toBe(byName("tag"));
    expect(web.propertyDependencies.tags[0]).toBe(byName("tag"));
    expect(JSON.parse(JSON.stringify(web.props))).toEqual({ tags: ["web"], ipv4Address: "192.0.2.7", userData: "hash", id: "123" });
    expect(web.isType(digitalocean.Droplet)).toBe(true);
    expect(() => seen!.notApplicable("x")).toThrow("x");
  });

  it("report violations on the resource they name, or on the stack", async () => {
    const policy: StackValidationPolicy = {
      name: "stack-reporter",
      description: "Reports twice.",
      enforcementLevel: "mandatory",
      validateStack: (_args, report) => {
        report("about the fw", firewall.urn);
        report("about the stack");
      },
    };
    const report = await evaluatePolicies([stackResource, firewall], { policies: [policy] });
    expect(report.diagnostics.map((d) => [d.urn, d.message])).toEqual([
      [firewall.urn, "Reports twice.\nabout the fw"],
      [undefined, "Reports twice.\nabout the stack"],
    ]);
    const rendered = renderPolicyReport(report, { resources: [stackResource, firewall] });
    expect(rendered).toContain("❌ mail-security-baseline@v0.1.0 (local: policies)");
    expect(rendered).toContain("        - [mandatory]  stack-reporter  (digitalocean:index/firewall:Firewall: fw)\n          Reports twice.\n          about the fw");
    expect(rendered).toContain("        - [mandatory]  stack-reporter  (pulumi:pulumi:Stack: proj-test)\n          Reports twice.\n          about the stack");
  });
});

describe("enforcement levels and config", () => {
  const violating: ResourceValidationPolicy = {
    name: "always",
    description: "Always violated.",
    enforcementLevel: "mandatory",
    validateResource: (_args, report) => report("here. Fix: nothing."),
  };
  const advisory: ResourceValidationPolicy = { ...violating, name: "soft", enforcementLevel: "advisory" };
  const levels = async (config: unknown) =>
    (await evaluatePolicies([firewall], { policies: [violating, advisory], config: parsePolicyPackConfig(config, "test") })).diagnostics.map((d) => `${d.policyName}:${d.enforcementLevel}`);

  it("use each policy's own level, then 'all', then the policy's entry; disabled skips it", async () => {
    expect(await levels({})).toEqual(["always:mandatory", "soft:advisory"]);
    expect(await levels({ soft: "mandatory" })).toEqual(["always:mandatory", "soft:mandatory"]);
    expect(await levels({ all: "advisory", soft: { enforcementLevel: "mandatory" } })).toEqual(["always:advisory", "soft:mandatory"]);
    expect(await levels({ always: "disabled" })).toEqual(["soft:advisory"]);
    // A policy at "remediate" without a remediation still validates, and reports as mandatory.
    expect(await levels({ soft: "remediate" })).toEqual(["always:mandatory", "soft:mandatory"]);
  });

  it("reject bad config with every problem listed, before anything runs", () => {
    const check = (config: unknown) => () => evaluatePolicies([], { policies: mailSecurityPolicies, config: parsePolicyPackConfig(config, "policy.json"), configSource: "policy.json" });
    expect(() => parsePolicyPackConfig({ "spf-record-valid": "strict" }, "policy.json")).toThrow(
      'policy.json: invalid policy pack config:\n  spf-record-valid: "strict" is not an enforcement level (advisory, mandatory, remediate, disabled)',
    );
    expect(() => parsePolicyPackConfig([1], "policy.json")).toThrow("expected a JSON object keyed by policy name");
    expect(() => parsePolicyPackConfig({ "spf-record-valid": 3 }, "policy.json")).toThrow("3 is neither an enforcement level nor an object of settings");
    return Promise.all([
      expect(check({ "no-such-policy": "mandatory" })()).rejects.toThrow(/no-such-policy: no such policy in the pack \(policies: tls-private-key-strength, /),
      expect(check({ "digitalocean-firewall-inbound-ports": { allowedTcpPorts: [25, "443"], allowedPorts: [1] } })()).rejects.toThrow(
        'policy.json: invalid policy pack config:\n  digitalocean-firewall-inbound-ports: allowedTcpPorts[1]: expected integer, got string "443"\n  digitalocean-firewall-inbound-ports: allowedPorts: is not a known setting',
      ),
      expect(check({ all: { enforcementLevel: "advisory", limit: 1 } })()).rejects.toThrow("all: only an enforcement level applies to all policies"),
    ]);
  });

  it("read a config file as the CLI does, with clear errors for a bad one", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-config-"));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expect(readPolicyPackConfigFile(file("empty.json", "  \n"))).toEqual({});
    expect(readPolicyPackConfigFile(file("ok.json", '{"spf-softfail": "disabled", "dkim-key-strength": {"minimumRsaBits": 3072}}'))).toEqual({
      "spf-softfail": { enforcementLevel: "disabled", properties: {} },
      "dkim-key-strength": { enforcementLevel: undefined, properties: { minimumRsaBits: 3072 } },
    });
    expect(() => readPolicyPackConfigFile(file("bad.json", "{ nope"))).toThrow(PolicyConfigError);
    expect(() => readPolicyPackConfigFile(file("bad.json", "{ nope"))).toThrow(/bad\.json: not valid JSON/);
    expect(() => readPolicyPackConfigFile(join(dir, "missing.json"))).toThrow(/cannot read policy pack config .*missing\.json: ENOENT/);
  });
});

describe("a policy that crashes", () => {
  it("stops the evaluation with the policy, the resource and its stack, as the analyzer fails the RPC", async () => {
    const broken: ResourceValidationPolicy = { name: "broken", description: "d", enforcementLevel: "advisory", validateResource: () => { throw new TypeError("boom"); } };
    const run = evaluatePolicies([firewall], { policies: [broken] });
    await expect(run).rejects.toThrow(PolicyCrashError);
    await expect(evaluatePolicies([firewall], { policies: [broken] })).rejects.toThrow(
      new RegExp(`^Error validating resource ${urnOf("digitalocean:index/firewall:Firewall", "fw").replace(/[$.*+?^()|[\]\\]/g, "\\$&")} with policy 'broken' from policy pack 'mail-security-baseline@v0.1.0':\nTypeError: boom\n    at `),
    );
  });
});
