// The policy definitions are complete and well-formed, and docs/policies.md is generated from them.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { isStackPolicy } from "../../../policies/common";
import { mailSecurityPolicies, policyGroups } from "../../../policies/pack";
import { assertSupportedSchema } from "../../../tools/policy/configSchema";
import { resolvePolicyPackConfig } from "../../../tools/policy/packConfig";
import { catalogPath, renderPolicyCatalog } from "../../../tools/docs/policyCatalog";

const projectDir = resolve(__dirname, "../../..");

describe("the policy definitions", () => {
  it("have unique kebab-case names, a description, a default level, why and how to fix", () => {
    const names = mailSecurityPolicies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const policy of mailSecurityPolicies) {
      expect(policy.name).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)+$/);
      expect(policy.name).not.toBe("all");
      expect(policy.description, policy.name).toMatch(/^[A-Z].{20,}\.$/);
      expect(["advisory", "mandatory"], policy.name).toContain(policy.enforcementLevel);
      expect(policy.rationale.length, policy.name).toBeGreaterThan(40);
      expect(policy.remediationSteps.length, policy.name).toBeGreaterThan(20);
    }
  });

  it("are mandatory and advisory by default as the baseline decides", () => {
    const byLevel = (level: string) => mailSecurityPolicies.filter((p) => p.enforcementLevel === level).map((p) => p.name).sort();
    expect(byLevel("mandatory")).toEqual([
      "acme-certificate-key-type",
      "caa-account-binding",
      "cloudflare-zone-min-tls-version",
      "digitalocean-droplet-firewall-coverage",
      "digitalocean-droplet-user-data-secrets",
      "digitalocean-firewall-inbound-ports",
      "digitalocean-firewall-ssh-sources",
      "digitalocean-ssh-key-strength",
      "dkim-key-strength",
      "dmarc-record-valid",
      "dmarc-single-record",
      "dnssec-for-tlsa",
      "host-bundle-ban-action-quoting",
      "host-bundle-nftables-ports",
      "host-bundle-resolver-pinned",
      "host-bundle-smtp-auth-and-relay",
      "host-bundle-tls-listeners",
      "remote-command-host-key",
      "report-addresses-delivered",
      "spf-record-valid",
      "spf-single-record",
      "tls-private-key-strength",
      "tlsa-matches-certificate-keys",
    ]);
    expect(byLevel("advisory")).toEqual([
      "cloudflare-zone-https-settings",
      "digitalocean-droplet-monitoring-ipv6",
      "dkim-selector-age",
      "dmarc-policy-enforced",
      "dns-txt-content-valid",
      "mail-domain-security-records",
      "spf-softfail",
    ]);
    expect(mailSecurityPolicies.filter(isStackPolicy).map((p) => p.name)).toEqual([
      "digitalocean-droplet-firewall-coverage",
      "spf-single-record",
      "dmarc-single-record",
      "mail-domain-security-records",
      "report-addresses-delivered",
      "dnssec-for-tlsa",
      "tlsa-matches-certificate-keys",
      "caa-account-binding",
    ]);
  });

  it("have config schemas the runner validates fully, the engine can send, and whose defaults are valid", () => {
    const struct = createRequire(require.resolve("@pulumi/policy/package.json"))("google-protobuf/google/protobuf/struct_pb");
    for (const policy of mailSecurityPolicies) {
      if (!policy.configSchema) continue;
      expect(policy.configSchema.properties.enforcementLevel, policy.name).toBeUndefined();
      for (const [name, schema] of Object.entries(policy.configSchema.properties)) {
        expect(() => assertSupportedSchema(schema as object, `${policy.name}.${name}`)).not.toThrow();
        expect((schema as { description?: string }).description, `${policy.name}.${name}`).toBeTruthy();
      }
      // What @pulumi/policy's GetAnalyzerInfo sends: it throws on anything that is not JSON.
      expect(() => struct.Struct.fromJavaScript(policy.configSchema!.properties)).not.toThrow();
    }
    expect(() => resolvePolicyPackConfig(mailSecurityPolicies)).not.toThrow();
    expect(() => assertSupportedSchema({ type: "string", format: "regex" }, "x")).toThrow('x: JSON Schema keyword "format" is not supported');
  });

  it("are grouped one module per service, and index.ts only constructs the pack from them", () => {
    expect(policyGroups.map((g) => g.module)).toEqual(["policies/tls.ts", "policies/acme.ts", "policies/digitalocean.ts", "policies/cloudflare.ts", "policies/dns.ts", "policies/hostBundle.ts", "policies/mailRouting.ts", "policies/trustChain.ts"]);
    const index = readFileSync(join(projectDir, "policies/index.ts"), "utf8");
    const code = index.split("\n").filter((line) => line.trim() !== "" && !line.trim().startsWith("//"));
    expect(code).toEqual([
      'import { PolicyPack } from "@pulumi/policy";',
      'import { mailSecurityPolicies, policyPackDescription, policyPackName } from "./pack";',
      "new PolicyPack(policyPackName, { description: policyPackDescription, policies: [...mailSecurityPolicies] });",
    ]);
    const yaml = readFileSync(join(projectDir, "policies/PulumiPolicy.yaml"), "utf8");
    expect(yaml).toMatch(/^name: mail-security-baseline$/m);
    expect(yaml).toMatch(/^runtime: nodejs$/m);
  });
});

describe("docs/policies.md", () => {
  it("is up to date with the policy definitions (regenerate with `npm run docs:policies`)", () => {
    expect(readFileSync(catalogPath, "utf8")).toBe(renderPolicyCatalog());
  });

  it("lists every policy with its level and every setting with its default", () => {
    const catalog = renderPolicyCatalog();
    for (const policy of mailSecurityPolicies) {
      expect(catalog).toContain(`### ${policy.name}\n\n- **Level:** ${policy.enforcementLevel}`);
      for (const [name, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
        const fallback = (schema as { default?: unknown }).default;
        expect(catalog).toContain(`| \`${name}\` |`);
        if (fallback !== undefined) expect(catalog).toContain(`\`${JSON.stringify(fallback)}\``);
      }
    }
  });
});
