// The example stack as a preview sees it: what providers compute (the droplet's addresses, the DKIM
// key) is unknown, so the records built from it cannot be judged yet; nothing crashes, nothing
// passes silently, and everything known is still judged.
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parsePolicyPackConfig } from "../../../tools/policy/packConfig";
import { runPolicyCheck, type PolicyCheckResult } from "../../../tools/policy/runPolicyCheck";

const projectDir = resolve(__dirname, "../../..");
let result: PolicyCheckResult;

beforeAll(async () => {
  const config = parsePolicyPackConfig({ "dkim-selector-age": { referenceDate: "2026-11-27" } }, "test");
  result = await runPolicyCheck({ programDir: projectDir, stack: "dev", config, preview: true });
});

describe("the dev stack in preview", () => {
  it("leaves the provider-computed values unknown", () => {
    const spf = result.run.resources.find((r) => r.name === "tenant-one-example-dns-spf")!;
    expect(String(spf.inputs.content)).not.toContain("v=spf1");
  });

  it("has no mandatory violation, and says which policies could not run on which record", () => {
    expect(result.report.mandatoryCount).toBe(0);
    const cannotRun = result.report.diagnostics.filter((d) => d.message.startsWith("can't run "));
    expect(cannotRun.every((d) => d.enforcementLevel === "advisory" && / during preview: string value at \.(content|userData|source|connection|keyType|data\.value|data\.certificate) can't be known during preview$/.test(d.message))).toBe(true);
    expect(cannotRun.map((d) => `${d.policyName} ${d.urn?.split("::").pop() ?? "(stack)"}`)).toEqual([
      // The user data carries Pulumi's deploy key, generated during the update.
      "digitalocean-droplet-user-data-secrets tenant-one-example-host-droplet",
      "dkim-key-strength tenant-one-example-dns-dkim-pm202611",
      "dns-txt-content-valid tenant-one-example-dns-dkim-pm202611",
      "spf-record-valid tenant-one-example-dns-spf",
      "spf-softfail tenant-one-example-dns-spf",
      "dns-txt-content-valid tenant-one-example-dns-spf",
      "spf-record-valid tenant-one-example-dns-helo-spf",
      "spf-softfail tenant-one-example-dns-helo-spf",
      "dns-txt-content-valid tenant-one-example-dns-helo-spf",
      // The host key is pinned once the droplet exists.
      "remote-command-host-key tenant-one-example-host-config-upload-dir",
      // The certificate's key type is the key set's current key's, generated during the update.
      "acme-certificate-key-type tenant-one-example-tls-certificate",
      // The bundle carries the DKIM keys and the certificate.
      "host-bundle-tls-listeners tenant-one-example-host-config-upload",
      "host-bundle-smtp-auth-and-relay tenant-one-example-host-config-upload",
      "host-bundle-nftables-ports tenant-one-example-host-config-upload",
      "host-bundle-ban-action-quoting tenant-one-example-host-config-upload",
      "host-bundle-resolver-pinned tenant-one-example-host-config-upload",
      "remote-command-host-key tenant-one-example-host-config-upload",
      "remote-command-host-key tenant-one-example-host-config-apply",
      "spf-single-record (stack)",
      // The CAA issue record names the ACME account, registered during the update.
      "mail-domain-security-records (stack)",
      // The Postfix tables the report addresses resolve through ship in the same bundle.
      "report-addresses-delivered (stack)",
      // The TLSA records carry the certificate keys' digests, generated during the update.
      "dnssec-for-tlsa (stack)",
      "tlsa-matches-certificate-keys (stack)",
      "caa-account-binding (stack)",
    ]);
  });

  it("still judges what is known: the DMARC record, the firewall, the droplet's coverage", () => {
    const judged = result.report.diagnostics.filter((d) => !d.message.startsWith("can't run "));
    expect(judged.map((d) => d.policyName)).toEqual(["dmarc-policy-enforced"]);
    expect(judged.some((d) => d.policyName.startsWith("digitalocean-"))).toBe(false);
  });
});
