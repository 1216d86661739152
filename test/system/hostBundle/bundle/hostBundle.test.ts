// The bundle with a real certificate in it: each test needs a self-signed pair from this machine's
// openssl. The rest of the bundle's tests are in test/unit/hostBundle/bundle/hostBundle.test.ts.
import { describe, expect, it } from "vitest";
import { buildHostBundle } from "../../../../hostBundle/buildHostBundle";
import { assembleHostBundle } from "../../../../hostBundle/format/hostBundle";
import { tlsBundleFiles } from "../../../../hostBundle/render/tlsFiles";
import { hostLayout } from "../../../../hostBundle/hostLayout";
import { bundleTestContext, fixtureFiles, testRsaKeyPem } from "../../../support/hostBundle/bundle/bundleFixture";
import { selfSignedCertificate } from "./selfSignedCertificate";

const ctx = bundleTestContext();

describe("assembleHostBundle", () => {
  it("lists the manifest for bash: one tab-separated line per file, services comma-joined", () => {
    const cert = selfSignedCertificate(ctx.mailHostname);
    const bundle = assembleHostBundle(ctx, [...fixtureFiles(), ...tlsBundleFiles(cert)]);
    const lines = bundle.manifestTsv.trimEnd().split("\n").map((l) => l.split("\t"));
    expect(lines).toHaveLength(bundle.files.length);
    const key = lines.find((l) => l[0] === hostLayout.tls.privateKey)!;
    expect(key.slice(0, 5)).toEqual([hostLayout.tls.privateKey, "0600", "root", "root", "postfix,dovecot,nginx"]);
  });
});

describe("tlsBundleFiles", () => {
  it("ships the chain world-readable and the key 0600 root, both reloading every TLS listener", () => {
    const cert = selfSignedCertificate(ctx.mailHostname);
    const [chain, key] = tlsBundleFiles(cert);
    expect(chain).toMatchObject({ path: hostLayout.tls.fullchain, mode: 0o644, owner: "root" });
    expect(chain!.secret).toBeFalsy();
    expect(key).toMatchObject({ path: hostLayout.tls.privateKey, mode: 0o600, owner: "root", group: "root", secret: true });
    const manifest = assembleHostBundle(ctx, [chain!, key!]).manifest;
    expect(manifest.files.map((f) => [f.service, ...(f.alsoReloads ?? [])])).toEqual([["postfix", "dovecot", "nginx"], ["postfix", "dovecot", "nginx"]]);
  });

  it("refuses a key that is not the certificate's, without quoting either", () => {
    const one = selfSignedCertificate(ctx.mailHostname);
    const other = selfSignedCertificate(ctx.mailHostname);
    expect(() => tlsBundleFiles({ fullchainPem: one.fullchainPem, privateKeyPem: other.privateKeyPem })).toThrow(
      /the private key does not belong to the certificate for CN=mail.tenant-one.example/,
    );
    expect(() => tlsBundleFiles({ fullchainPem: one.fullchainPem, privateKeyPem: "garbage" })).toThrow(/^TLS certificate: privateKeyPem is not a PEM private key$/);
    expect(() => tlsBundleFiles({ fullchainPem: "garbage", privateKeyPem: one.privateKeyPem })).toThrow(/fullchainPem is not a PEM certificate/);
  });
});

describe("buildHostBundle with the real renderers", () => {
  it("ships no certificate files until there is a certificate: the host makes its own placeholder", () => {
    const without = buildHostBundle(ctx, { dkimPrivateKeyPems: { mail: testRsaKeyPem() } });
    expect(without.files.map((f) => f.path)).not.toContain(hostLayout.tls.privateKey);
    const cert = selfSignedCertificate(ctx.mailHostname);
    const withCert = buildHostBundle(ctx, { dkimPrivateKeyPems: { mail: testRsaKeyPem() }, tlsCertificate: cert });
    expect(withCert.files.find((f) => f.path === hostLayout.tls.privateKey)?.content).toBe(cert.privateKeyPem);
    expect(withCert.hash).not.toBe(without.hash);
  });
});
