// The test that puts a certificate (made by openssl) in the bundle is in test/system/hostBundle/hostConfiguration.test.ts.
import { describe, expect, it } from "vitest";
import { applyCommand, prepareUploadCommand, uploadPath } from "../../../hostBundle/apply/remoteCommands";
import { buildHostBundle } from "../../../hostBundle/buildHostBundle";
import { bundleTree } from "../../../hostBundle/format/bundleTree";
import { bundleTestContext, testRsaKeyPem } from "../../support/hostBundle/bundle/bundleFixture";
import { unpackUpload } from "../../support/hostBundle/bundle/unpackUpload";
import { unwrapSecrets } from "../../../tools/mockRuntime/secrets";
import { applyTrigger, pinnedHostKey, plan, uploadedText } from "../../support/hostBundle/hostConfigurationPlan";

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

  it("connects every step to the host with its pinned SSH key", async () => {
    const p = await plan();
    for (const name of ["tenant-host-config-upload-dir", "tenant-host-config-upload", "tenant-host-config-apply"]) {
      expect((unwrapSecrets(p.byName(name).inputs.connection) as { hostKey?: string }).hostKey, name).toBe(pinnedHostKey);
    }
  });

  it("changes the apply's trigger when a rendered file changes, and only then", async () => {
    const base = await plan();
    const again = await plan();
    expect(applyTrigger(again)).toBe(applyTrigger(base));
    // Another address (a replaced droplet) uploads and applies again, but the bundle is the same.
    expect(applyTrigger(await plan({}, "192.0.2.99"))).toBe(applyTrigger(base));
    // A different hourly limit renders a different postfwd ruleset.
    const limited = await plan({ limits: { recipientsPerHourPerAccount: 50 } });
    expect(applyTrigger(limited)).not.toBe(applyTrigger(base));
    expect(await uploadedText(limited)).not.toBe(await uploadedText(base));
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
