import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { applyCommand, prepareUploadCommand, uploadPath } from "../../hostBundle/apply/remoteCommands";
import { buildHostBundle } from "../../hostBundle/buildHostBundle";
import { bundleTree } from "../../hostBundle/format/bundleTree";
import { HostConfiguration, hostBundleOutput } from "../../components/hostConfig/hostConfiguration";
import type { CapturedResource } from "../../tools/mockRuntime/capture";
import { runProgramWithMocks } from "../../tools/mockRuntime/runProgram";
import { isSecretMarker, unwrapSecrets } from "../../tools/mockRuntime/secrets";
import { bundleTestContext, selfSignedCertificate, testRsaKeyPem } from "./bundle/bundleFixture";
import { unpackUpload } from "./bundle/unpackUpload";

const programDir = resolve(__dirname, "../..");
const sshKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nfixture\n-----END OPENSSH PRIVATE KEY-----\n";

interface Planned {
  readonly resources: CapturedResource[];
  byName(name: string): CapturedResource;
}

/** Registers one HostConfiguration for the example tenant, configured by `overrides`, under the mocks. */
async function plan(overrides: Record<string, unknown> = {}, host = "192.0.2.10", tlsCertificate?: { fullchainPem: string; privateKeyPem: string }): Promise<Planned> {
  const ctx = bundleTestContext(overrides);
  const { resources } = await runProgramWithMocks({
    programDir,
    stack: "dev",
    program: () => {
      new HostConfiguration("tenant-host-config", {
        connection: { host, user: "mailadmin", privateKey: sshKey },
        bundle: hostBundleOutput(ctx, {
          dkimPrivateKeyPems: { mail: pulumi.secret(testRsaKeyPem()) },
          ...(tlsCertificate ? { tlsCertificate: pulumi.secret(tlsCertificate) } : {}),
        }),
      });
    },
  });
  return {
    resources,
    byName(name) {
      const found = resources.find((r) => r.name === name);
      if (!found) throw new Error(`no resource ${name}`);
      return found;
    },
  };
}

function applyTrigger(p: Planned): string {
  return (p.byName("tenant-host-config-apply").inputs.triggers as string[])[0]!;
}

async function uploadedText(p: Planned): Promise<string> {
  const source = p.byName("tenant-host-config-upload").inputs.source;
  expect(isSecretMarker(source)).toBe(true);
  // The marker's value is the StringAsset itself (unwrapSecrets would flatten its promise away).
  return await (source as { value: { text: Promise<string> } }).value.text;
}

describe("HostConfiguration under the mock runtime", () => {
  it("is a penguinmails:mail:HostConfiguration holding the upload directory, the upload and the apply, in that order", async () => {
    const p = await plan();
    const component = p.resources.find((r) => r.type === "penguinmails:mail:HostConfiguration")!;
    const dir = p.byName("tenant-host-config-upload-dir");
    const upload = p.byName("tenant-host-config-upload");
    const apply = p.byName("tenant-host-config-apply");
    expect([dir.type, upload.type, apply.type]).toEqual(["command:remote:Command", "command:remote:CopyToRemote", "command:remote:Command"]);
    for (const r of [dir, upload, apply]) expect(r.parent).toBe(component.urn);
    expect(upload.dependencies).toContain(dir.urn);
    expect(apply.dependencies).toContain(upload.urn);
    expect(dir.inputs.create).toBe(prepareUploadCommand);
    expect(upload.inputs.remotePath).toBe(uploadPath);
    const hash = applyTrigger(p);
    expect(apply.inputs.create).toBe(applyCommand(hash));
  });

  it("changes the apply's trigger when a rendered file changes, and only then", async () => {
    const base = await plan();
    const again = await plan();
    expect(applyTrigger(again)).toBe(applyTrigger(base));
    // Another address (a replaced droplet) uploads and applies again, but the bundle is the same.
    expect(applyTrigger(await plan({}, "192.0.2.99"))).toBe(applyTrigger(base));
    // A different hourly limit renders a different postfwd ruleset.
    const limited = await plan({ limits: { messagesPerHourPerAccount: 50 } });
    expect(applyTrigger(limited)).not.toBe(applyTrigger(base));
    expect(await uploadedText(limited)).not.toBe(await uploadedText(base));
  });

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

  it("uploads every file of the bundle", async () => {
    const p = await plan();
    const uploaded = unpackUpload(await uploadedText(p));
    const bundle = buildHostBundle(bundleTestContext(), { dkimPrivateKeyPems: { mail: testRsaKeyPem() } });
    expect(bundle.hash).toBe(applyTrigger(p));
    for (const entry of bundleTree(bundle)) expect(uploaded.get(entry.path)?.content, entry.path).toBe(entry.content);
    expect(uploaded.size).toBe(bundleTree(bundle).length);
  });
});
