// The example stack (Pulumi.dev.yaml) through our program under the mocks, every policy applied.
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { mailSecurityPolicies } from "../../../policies/pack";
import { parsePolicyPackConfig } from "../../../tools/policy/packConfig";
import { runPolicyCheck, type PolicyCheckResult } from "../../../tools/policy/runPolicyCheck";

const projectDir = resolve(__dirname, "../../..");
let result: PolicyCheckResult;

beforeAll(async () => {
  // The DKIM selector's age is judged as of a fixed day, so the test does not change with the calendar.
  const config = parsePolicyPackConfig({ "dkim-selector-age": { referenceDate: "2026-11-27" } }, "test");
  result = await runPolicyCheck({ programDir: projectDir, stack: "dev", config });
});

describe("the dev stack under the whole pack", () => {
  it("has no mandatory violation, only the advisories of its rollout phases (DMARC p=none, SPF ~all)", () => {
    expect(result.report.mandatoryCount).toBe(0);
    expect(result.report.diagnostics.map((d) => `${d.enforcementLevel} ${d.policyName} ${d.urn?.split("::").pop()}`)).toEqual([
      "advisory dmarc-policy-enforced tenant-one-example-dns-dmarc",
      "advisory spf-softfail tenant-one-example-dns-spf",
    ]);
  });

  it("judged every resource the policies are about: each policy applied somewhere", () => {
    const types = new Set(result.run.resources.map((r) => r.type));
    for (const type of [
      "digitalocean:index/droplet:Droplet",
      "digitalocean:index/firewall:Firewall",
      "digitalocean:index/sshKey:SshKey",
      "tls:index/privateKey:PrivateKey",
      "cloudflare:index/dnsRecord:DnsRecord",
      "cloudflare:index/zoneSetting:ZoneSetting",
    ]) {
      expect(types.has(type), type).toBe(true);
    }
    const pairs = result.run.resources.length * mailSecurityPolicies.filter((p) => !("validateStack" in p)).length;
    expect(result.report.notApplicableCount).toBeLessThan(pairs);
    expect(result.report.policyCount).toBe(mailSecurityPolicies.length);
    expect(result.report.elapsedMs).toBeGreaterThan(0);
  });
});
