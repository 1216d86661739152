// HostConfiguration with a certificate in its bundle: the self-signed pair comes from this machine's
// openssl. The other HostConfiguration tests are in test/unit/hostBundle/hostConfiguration.test.ts.
import { describe, expect, it } from "vitest";
import { isSecretMarker, unwrapSecrets } from "../../../tools/mockRuntime/secrets";
import { testRsaKeyPem } from "../../support/hostBundle/bundle/bundleFixture";
import { unpackUpload } from "../../support/hostBundle/bundle/unpackUpload";
import { plan, sshKey, uploadedText } from "../../support/hostBundle/hostConfigurationPlan";
import { selfSignedCertificate } from "./bundle/selfSignedCertificate";

describe("HostConfiguration under the mock runtime", () => {
  it("keeps the SSH key, the DKIM and TLS private keys secret: markers in every captured input", async () => {
    const cert = selfSignedCertificate("mail.tenant-one.example");
    const p = await plan({}, "192.0.2.10", cert);
    for (const r of p.resources.filter((r) => r.type.startsWith("command:"))) {
      expect(isSecretMarker(r.inputs.connection), r.name).toBe(true);
      const plain = JSON.stringify({ ...r.inputs, connection: undefined, source: undefined });
      for (const secret of [sshKey, testRsaKeyPem(), cert.privateKeyPem]) expect(plain).not.toContain(secret.split("\n")[1]);
    }
    expect((unwrapSecrets(p.byName("tenant-host-config-apply").inputs.connection) as { privateKey: string }).privateKey).toBe(sshKey);
    // The upload carries them, so the upload is secret as a whole.
    const contents = [...unpackUpload(await uploadedText(p)).values()].map((f) => f.content);
    expect(contents).toContain(cert.privateKeyPem);
    expect(contents).toContain(testRsaKeyPem());
  });
});
