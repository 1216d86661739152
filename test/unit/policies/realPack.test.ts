// The pack as the Pulumi CLI runs it (`pulumi preview --policy-pack policies`): @pulumi/pulumi's
// run-policy-pack compiles policies/index.ts with ts-node and serves the analyzer over gRPC. This
// test plays the engine's part, and checks that the in-process runner reports exactly what the
// real analyzer reports for the same resources.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mailSecurityPolicies, policyPackName } from "../../../policies/pack";
import type { CapturedResource } from "../../../tools/mockRuntime/capture";
import { evaluatePolicies } from "../../../tools/policy/evaluate";
import { parsePolicyPackConfig, type GivenPackConfig } from "../../../tools/policy/packConfig";
import { analyzeRequest, analyzeStackRequest, startSdkAnalyzer, type DiagnosticRow, type SdkAnalyzer } from "../../../tools/policy/sdkAnalyzer";
import { dkimValue, dnsRecord, ed25519SshKey, resource, stackResource, txt } from "./support";

const projectDir = resolve(__dirname, "../../..");
let analyzer: SdkAnalyzer;

async function realAnalyze(resources: readonly CapturedResource[]): Promise<DiagnosticRow[]> {
  const rows: DiagnosticRow[] = [];
  for (const resource of resources) rows.push(...(await analyzer.analyze(analyzeRequest(resource))));
  return rows;
}

async function harness(resources: readonly CapturedResource[], kind: "resource" | "stack", config: GivenPackConfig = {}): Promise<DiagnosticRow[]> {
  const policies = mailSecurityPolicies.filter((p) => (kind === "stack") === ("validateStack" in p));
  const report = await evaluatePolicies(resources, { policies, config });
  return report.diagnostics.map((d) => [d.policyName, d.enforcementLevel, d.message]);
}

beforeAll(async () => {
  analyzer = await startSdkAnalyzer(projectDir);
}, 120_000);

afterAll(() => {
  analyzer?.close();
});

describe("the policy pack under @pulumi/policy's own analyzer server", () => {
  it("announces the pack and every policy with its level and config schema", async () => {
    const info = await analyzer.info();
    expect(info.name).toBe(policyPackName);
    expect(info.version).toBe(JSON.parse(readFileSync(join(projectDir, "policies/package.json"), "utf8")).version);
    expect(info.policies).toEqual(
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
    await analyzer.configure(mailSecurityPolicies);
    const real = await realAnalyze(samples);
    expect(real.length).toBeGreaterThanOrEqual(15);
    expect(await harness(samples, "resource")).toEqual(real);
  });

  it("applies a config's levels and settings exactly as the runner does", async () => {
    const given = parsePolicyPackConfig(
      { "digitalocean-firewall-inbound-ports": { allowedTcpPorts: [8000] }, "dmarc-policy-enforced": "mandatory", "spf-record-valid": "disabled" },
      "test",
    );
    await analyzer.configure(mailSecurityPolicies, given);
    try {
      const real = await realAnalyze(samples);
      expect(real).toContainEqual(["dmarc-policy-enforced", "mandatory", expect.stringContaining("p=none")]);
      expect(real.some(([policy]) => policy === "spf-record-valid")).toBe(false);
      expect(await harness(samples, "resource", given)).toEqual(real);
    } finally {
      await analyzer.configure(mailSecurityPolicies);
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
    const real = await analyzer.analyzeStack(analyzeStackRequest(stack));
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
