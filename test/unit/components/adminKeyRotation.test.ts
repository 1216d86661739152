// An admin key rotation, planned twice under the mocks (the old key, then a new one), and compared
// as `npm run diff` compares: the droplet stays, the host bundle changes. How the apply installs
// the new keys is tested on a booted Debian in test/system/hostBundle/apply/adminKeyRotation.test.ts.
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sshAuthorizedKeysPath } from "../../../hostBundle/render/system/sshAuthorizedKeys";
import { unpackHostBundle, type UnpackedBundleFile } from "../../../hostBundle/format/hostBundleArchive";
import { canonicalJson, compareResources, type ResourceChange } from "../../../tools/diff/compareResources";
import { replacementRules } from "../../../tools/diff/replacementRules";
import type { CapturedResource } from "../../../tools/mockRuntime/capture";
import { runProgramWithMocks, type MockRunResult } from "../../../tools/mockRuntime/runProgram";
import { unwrapSecrets } from "../../../tools/mockRuntime/secrets";
import { ed25519PublicKeyLine } from "../../support/hostBundle/render/system/ed25519PublicKeyLine";
import { validEd25519Key } from "../../support/tenant/tenantConfigFixture";

const programDir = resolve(__dirname, "../../..");
const dropletType = "digitalocean:index/droplet:Droplet";
const rotatedKey = `${ed25519PublicKeyLine()} new-laptop@tenant-one.example`;
const keysFile = sshAuthorizedKeysPath("mailadmin");

let before: MockRunResult;
let after: MockRunResult;
let changes: ResourceChange[];

function only(plan: MockRunResult, type: string): CapturedResource {
  const found = plan.resources.filter((r) => r.type === type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
}

async function bundleFiles(plan: MockRunResult): Promise<Map<string, UnpackedBundleFile>> {
  // The secret marker's value is the StringAsset itself (unwrapSecrets would flatten its promise away).
  const source = only(plan, "command:remote:CopyToRemote").inputs.source as { value: { text: Promise<string> } };
  const bundle = await unpackHostBundle(await source.value.text);
  return new Map(bundle!.files.map((f) => [f.path, f]));
}

beforeAll(async () => {
  before = await runProgramWithMocks({ programDir, stack: "dev" });
  after = await runProgramWithMocks({ programDir, stack: "dev", configOverrides: { "penguinmails-mail:adminSshPublicKeys": JSON.stringify([rotatedKey]) } });
  changes = await compareResources(before.resources, after.resources, { headProgramDir: programDir });
});

describe("rotating the admin's SSH key", () => {
  it("changes no droplet input that replaces it: the two that the key reaches are ignored after creation", () => {
    const [old, next] = [only(before, dropletType), only(after, dropletType)];
    expect(next.ignoreChanges).toEqual(expect.arrayContaining(["userData", "sshKeys"]));
    const value = (r: CapturedResource, input: string) => canonicalJson(unwrapSecrets(r.inputs[input]));
    const replacing = replacementRules[dropletType]!.replaceOn;
    for (const input of replacing.filter((i) => !next.ignoreChanges.includes(i))) expect(value(next, input), input).toBe(value(old, input));
    // The rotation does reach both: without ignoreChanges each would replace the droplet.
    for (const input of ["userData", "sshKeys"]) {
      expect(replacing, input).toContain(input);
      expect(value(next, input), input).not.toBe(value(old, input));
    }
  });

  it("plans no droplet change at all, and a new host bundle: the DigitalOcean key is replaced, the apply runs again", () => {
    const byName = new Map(changes.map((c) => [c.name, c]));
    expect(changes.find((c) => c.type === dropletType)).toBeUndefined();
    expect(byName.get("tenant-one-example-host-ssh-key-0")?.kind).toBe("replace");
    const apply = byName.get("tenant-one-example-host-config-apply");
    expect(apply?.kind).toBe("replace");
    expect(apply?.properties.map((p) => p.property)).toContain("triggers");
    expect(changes.filter((c) => c.kind === "replace").map((c) => c.name).sort()).toEqual(["tenant-one-example-host-config-apply", "tenant-one-example-host-ssh-key-0"]);
    expect(unwrapSecrets(after.outputs.hostBundleHash)).not.toBe(unwrapSecrets(before.outputs.hostBundleHash));
  });

  it("changes exactly one file of the bundle: the admin's authorized keys, old key out, new key and deploy key in", async () => {
    const [old, next] = [await bundleFiles(before), await bundleFiles(after)];
    const changed = [...next.keys()].filter((path) => old.get(path)?.content !== next.get(path)!.content);
    expect(changed).toEqual([keysFile]);
    expect(next.get(keysFile)).toMatchObject({ mode: 0o644, owner: "root", group: "root", service: "ssh" });
    const deployKey = after.resources.find((r) => r.type === "tls:index/privateKey:PrivateKey" && r.name.endsWith("-deploy-key"))!;
    const deployPublicKey = String(unwrapSecrets(deployKey.outputs.publicKeyOpenssh)).trim();
    const keys = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(keys(old.get(keysFile)!.content)).toEqual([validEd25519Key, deployPublicKey]);
    expect(keys(next.get(keysFile)!.content)).toEqual([rotatedKey, deployPublicKey]);
  });
});
