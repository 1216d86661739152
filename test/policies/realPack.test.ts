// The pack as the Pulumi CLI runs it (`pulumi preview --policy-pack policies`): @pulumi/pulumi's
// run-policy-pack compiles policies/index.ts with ts-node and serves the analyzer over gRPC. This
// test plays the engine's part, and checks that the in-process runner reports exactly what the
// real analyzer reports for the same resources.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mailSecurityPolicies, policyPackName } from "../../policies/pack";
import type { CapturedResource } from "../../tools/mockRuntime/capture";
import { analyzerResource } from "../../tools/policy/analyzerArgs";
import { evaluatePolicies } from "../../tools/policy/evaluate";
import { parsePolicyPackConfig, resolvePolicyPackConfig, type GivenPackConfig } from "../../tools/policy/packConfig";
import { dkimValue, dnsRecord, ed25519SshKey, resource, stackResource, txt } from "./support";

const projectDir = resolve(__dirname, "../..");
const policyRequire = createRequire(require.resolve("@pulumi/policy/package.json"));
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = policyRequire("@grpc/grpc-js");
const structproto = policyRequire("google-protobuf/google/protobuf/struct_pb");
const emptyproto = policyRequire("google-protobuf/google/protobuf/empty_pb");
const analyzerproto = pulumiRequire("./proto/analyzer_pb");
const analyzerrpc = pulumiRequire("./proto/analyzer_grpc_pb");

const levelNames: Record<number, string> = {
  [analyzerproto.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerproto.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerproto.EnforcementLevel.DISABLED]: "disabled",
  [analyzerproto.EnforcementLevel.REMEDIATE]: "remediate",
};
const levelNumbers = Object.fromEntries(Object.entries(levelNames).map(([n, name]) => [name, Number(n)]));

let child: ChildProcess;
let client: Record<string, (request: unknown, callback: (err: Error | null, response: any) => void) => void>;

function call<T = any>(method: string, request: unknown): Promise<T> {
  return new Promise((resolvePromise, reject) => client[method].call(client, request, (err, response) => (err ? reject(err) : resolvePromise(response))));
}

function options(resource: CapturedResource) {
  const opts = new analyzerproto.AnalyzerResourceOptions();
  opts.setProtect(resource.protect);
  opts.setIgnorechangesList(resource.ignoreChanges);
  opts.setAdditionalsecretoutputsList(resource.additionalSecretOutputs);
  if (resource.parent) opts.setParent(resource.parent);
  return opts;
}

/** What the engine sends for a resource: inputs (or outputs) with unknowns as the sentinel. */
function properties(values: Record<string, unknown>) {
  return structproto.Struct.fromJavaScript(values);
}

async function configure(given: GivenPackConfig): Promise<void> {
  const request = new analyzerproto.ConfigureAnalyzerRequest();
  const map = request.getPolicyconfigMap();
  for (const [name, config] of resolvePolicyPackConfig(mailSecurityPolicies, given)) {
    const policyConfig = new analyzerproto.PolicyConfig();
    policyConfig.setEnforcementlevel(levelNumbers[config.enforcementLevel]);
    policyConfig.setProperties(structproto.Struct.fromJavaScript(config.properties));
    map.set(name, policyConfig);
  }
  await call("configure", request);
}

type Row = [string, string, string];

async function realAnalyze(resources: readonly CapturedResource[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const resource of resources) {
    const request = new analyzerproto.AnalyzeRequest();
    request.setType(resource.type);
    request.setUrn(resource.urn);
    request.setName(resource.name);
    request.setProperties(properties(analyzerResource(resource).inputs));
    request.setOptions(options(resource));
    const response = await call("analyze", request);
    for (const d of response.getDiagnosticsList()) rows.push([d.getPolicyname(), levelNames[d.getEnforcementlevel()], d.getMessage()]);
  }
  return rows;
}

async function realAnalyzeStack(resources: readonly CapturedResource[]): Promise<Row[]> {
  const request = new analyzerproto.AnalyzeStackRequest();
  for (const resource of resources) {
    const r = new analyzerproto.AnalyzerResource();
    r.setType(resource.type);
    r.setUrn(resource.urn);
    r.setName(resource.name);
    r.setProperties(properties(analyzerResource(resource).outputs));
    r.setOptions(options(resource));
    if (resource.parent) r.setParent(resource.parent);
    r.setDependenciesList(resource.dependencies);
    const deps = r.getPropertydependenciesMap();
    for (const [key, urns] of Object.entries(resource.propertyDependencies)) {
      const d = new analyzerproto.AnalyzerPropertyDependencies();
      d.setUrnsList(urns);
      deps.set(key, d);
    }
    request.addResources(r);
  }
  const response = await call("analyzeStack", request);
  return response.getDiagnosticsList().map((d: any) => [d.getPolicyname(), levelNames[d.getEnforcementlevel()], d.getMessage()] as Row);
}

async function harness(resources: readonly CapturedResource[], kind: "resource" | "stack", config: GivenPackConfig = {}): Promise<Row[]> {
  const policies = mailSecurityPolicies.filter((p) => (kind === "stack") === ("validateStack" in p));
  const report = await evaluatePolicies(resources, { policies, config });
  return report.diagnostics.map((d) => [d.policyName, d.enforcementLevel, d.message]);
}

beforeAll(async () => {
  child = spawn(process.execPath, [join(projectDir, "node_modules/@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:0", "."], { cwd: join(projectDir, "policies") });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const port = await new Promise<string>((resolvePort, reject) => {
    let stdout = "";
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      const match = /^(\d+)\s*$/m.exec(stdout);
      if (match) resolvePort(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`run-policy-pack exited with ${code}: ${stderr}`)));
  });
  client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
  child?.kill();
});

describe("the policy pack under @pulumi/policy's own analyzer server", () => {
  it("announces the pack and every policy with its level and config schema", async () => {
    const info = await call("getAnalyzerInfo", new emptyproto.Empty());
    expect(info.getName()).toBe(policyPackName);
    expect(info.getVersion()).toBe(JSON.parse(readFileSync(join(projectDir, "policies/package.json"), "utf8")).version);
    const announced = info.getPoliciesList().map((p: any) => ({
      name: p.getName(),
      level: levelNames[p.getEnforcementlevel()],
      schema: p.getConfigschema()?.getProperties()?.toJavaScript(),
      remediationSteps: p.getRemediationSteps(),
    }));
    expect(announced).toEqual(
      mailSecurityPolicies.map((p) => ({
        name: p.name,
        level: p.enforcementLevel,
        schema: p.configSchema ? JSON.parse(JSON.stringify(p.configSchema.properties)) : undefined,
        remediationSteps: p.remediationSteps,
      })),
    );
  });

  const samples: CapturedResource[] = [
    resource("tls:index/privateKey:PrivateKey", "p224", { algorithm: "ECDSA" }),
    resource("tls:index/privateKey:PrivateKey", "rsa", { algorithm: "RSA", rsaBits: 4096 }),
    resource("digitalocean:index/firewall:Firewall", "fw", {
      tags: ["web"],
      inboundRules: [
        { protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0", "203.0.113.0/28"] },
        { protocol: "tcp", portRange: "8000-9000", sourceAddresses: ["::/0"] },
        { protocol: "tcp", portRange: pulumi.unknown, sourceAddresses: ["::/0"] },
      ],
    }),
    resource("digitalocean:index/droplet:Droplet", "web", { tags: ["web"], userData: `#cloud-config\ntoken: dop_v1_${"a1".repeat(32)}\n`, monitoring: false }),
    resource("digitalocean:index/sshKey:SshKey", "admin", { name: "admin", publicKey: ed25519SshKey }),
    resource("cloudflare:index/zoneSetting:ZoneSetting", "tls", { zoneId: "z", settingId: "min_tls_version", value: "1.1" }),
    txt("s2019._domainkey.example.org", dkimValue(1024), "dkim"),
    txt("_dmarc.example.org", "v=DMARC1; p=none", "dmarc"),
    txt("example.org", "v=spf1 +all", "spf"),
    dnsRecord("example.org", "TXT", { content: pulumi.unknown }, "pending"),
    resource("pulumi-nodejs:dynamic/certificate:AcmeCertificate", "cert", { keyType: "rsa-1024" }),
  ];

  it("reports for each resource exactly what the in-process runner reports", async () => {
    await configure({});
    const real = await realAnalyze(samples);
    expect(real.length).toBeGreaterThanOrEqual(15);
    expect(await harness(samples, "resource")).toEqual(real);
  });

  it("applies a config's levels and settings exactly as the runner does", async () => {
    const given = parsePolicyPackConfig(
      { "digitalocean-firewall-inbound-ports": { allowedTcpPorts: [8000] }, "dmarc-policy-enforced": "mandatory", "spf-record-valid": "disabled" },
      "test",
    );
    await configure(given);
    try {
      const real = await realAnalyze(samples);
      expect(real).toContainEqual(["dmarc-policy-enforced", "mandatory", expect.stringContaining("p=none")]);
      expect(real.some(([policy]) => policy === "spf-record-valid")).toBe(false);
      expect(await harness(samples, "resource", given)).toEqual(real);
    } finally {
      await configure({});
    }
  });

  it("judges the stack exactly as the runner does", async () => {
    const tag = resource("digitalocean:index/tag:Tag", "tag", { name: "web" }, { id: "web" });
    const stack = [
      stackResource,
      tag,
      resource("digitalocean:index/droplet:Droplet", "covered", { tags: [pulumi.unknown] }, { id: "1", dependencies: [tag.urn], propertyDependencies: { tags: [tag.urn] } }),
      resource("digitalocean:index/droplet:Droplet", "bare", { tags: ["db"] }, { id: "2" }),
      resource("digitalocean:index/firewall:Firewall", "fw", { tags: [pulumi.unknown] }, { dependencies: [tag.urn], propertyDependencies: { tags: [tag.urn] } }),
      dnsRecord("example.org", "MX", { content: "mail.example.org", priority: 10 }, "mx"),
      txt("example.org", "v=spf1 -all", "spf-1"),
      txt("example.org", "v=spf1 include:x.example.net -all", "spf-2"),
    ];
    const real = await realAnalyzeStack(stack);
    expect(real.map(([policy, level]) => `${policy}:${level}`)).toEqual([
      "digitalocean-droplet-firewall-coverage:advisory",
      "spf-single-record:mandatory",
      "mail-domain-security-records:advisory",
      "mail-domain-security-records:advisory",
      "mail-domain-security-records:advisory",
    ]);
    expect(await harness(stack, "stack")).toEqual(real);
  });
});
