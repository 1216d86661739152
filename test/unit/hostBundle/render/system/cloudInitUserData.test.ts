// cloud-init's own schema check of the user data is in test/system/hostBundle/render/system/cloudInitUserData.test.ts.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderCloudInitUserData } from "../../../../../hostBundle/render/system";
import { renderAuthorizedKeyLines, renderSshAuthorizedKeys, sshAuthorizedKeysPath } from "../../../../../hostBundle/render/system/sshAuthorizedKeys";
import { renderSshdHardeningSettings } from "../../../../../hostBundle/render/system/sshdDropIn";
import { hostRenderContext, parseDeployPublicKeys } from "../../../../../hostBundle/renderContext";
import { validEd25519Key } from "../../../../support/tenant/tenantConfigFixture";
import { ed25519PublicKeyLine } from "../../../../support/hostBundle/render/system/ed25519PublicKeyLine";
import { rsaPublicKeyLine } from "../../../../support/hostBundle/render/system/rsaPublicKeyLine";
import { systemTestConfig } from "../../../../support/hostBundle/render/system/systemRenderFixture";

const rsaKey = rsaPublicKeyLine();
const deployKey = ed25519PublicKeyLine();
const secretHash = "{BLF-CRYPT}$2y$12$QjSH496pcT5CEbzjD/vtVeH03tfHKFy36d4J0Ltp3lRtee9HDxY3K";
const config = systemTestConfig({
  adminUser: "opsadmin",
  adminSshPublicKeys: [validEd25519Key, rsaKey],
  alertEmail: "someone@tenant-one.example",
  mailboxes: [{ address: "someone@tenant-one.example", passwordHash: secretHash }],
});
const userData = renderCloudInitUserData(config, [`${deployKey}\n`]);

interface CloudConfig {
  users: { name: string; sudo: string; lock_passwd: boolean; ssh_authorized_keys?: string[]; groups: string[] }[];
  write_files: { path: string; content: string; owner: string; permissions: string }[];
  ssh_pwauth: boolean;
  disable_root: boolean;
  package_update: boolean;
}

describe("renderCloudInitUserData", () => {
  it("is #cloud-config YAML (the marker on the very first line)", () => {
    expect(userData.split("\n")[0]).toBe("#cloud-config");
    expect(() => parse(userData)).not.toThrow();
  });

  const parsed = parse(userData) as CloudConfig;

  it("creates the admin user with passwordless sudo, and no key in ~/.ssh/authorized_keys, which would outlive a rotation", () => {
    expect(parsed.users).toHaveLength(1);
    const [user] = parsed.users;
    expect(user).toMatchObject({ name: "opsadmin", sudo: "ALL=(ALL) NOPASSWD:ALL", lock_passwd: true });
    expect(user).not.toHaveProperty("ssh_authorized_keys");
    expect(userData).not.toMatch(/ssh_authorized_keys|ssh_import_id/);
  });

  it("turns off root and password logins, and refreshes packages", () => {
    expect(parsed).toMatchObject({ ssh_pwauth: false, disable_root: true, package_update: true });
  });

  it("writes the same sshd settings and authorized keys as the bundle, at the bundle's paths, root's and 0644", () => {
    const keyLines = renderAuthorizedKeyLines(config.adminSshPublicKeys, parseDeployPublicKeys([deployKey]));
    expect(parsed.write_files).toEqual([
      { path: hostLayout.sshdDropIn, owner: "root:root", permissions: "0644", content: renderSshdHardeningSettings("opsadmin") },
      { path: sshAuthorizedKeysPath("opsadmin"), owner: "root:root", permissions: "0644", content: keyLines },
    ]);
    const bundleFile = renderSshAuthorizedKeys(hostRenderContext(config, "0.1.0-test", "", [deployKey]));
    expect(bundleFile.endsWith(keyLines)).toBe(true);
  });

  it("authorizes the admin's keys with their comments and Pulumi's deploy key, one key a line", () => {
    const keys = parsed.write_files[1]!.content.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(keys).toEqual([validEd25519Key, rsaKey, deployKey]);
  });

  it("refuses a deploy key that is not one OpenSSH key line, naming it", () => {
    expect(() => renderCloudInitUserData(config, [`${deployKey}\nssh-ed25519 AAAA`])).toThrow(/^deploy public key 0: holds a line break/);
    expect(() => renderCloudInitUserData(config, [`command="sh" ${deployKey}`])).toThrow(/^deploy public key 0: .*authorized_keys options are not accepted/);
  });

  it("holds no secret: no private key, no mailbox or password hash", () => {
    expect(userData).not.toMatch(/PRIVATE KEY/);
    expect(userData).not.toContain(secretHash);
    expect(userData).not.toContain("$2y$");
    expect(userData).not.toContain("someone@tenant-one.example");
  });

  it("does not change with anything but the admin user and keys (Pulumi ignores its later changes: it is for first boot only)", () => {
    const other = systemTestConfig({
      adminUser: "opsadmin",
      adminSshPublicKeys: [validEd25519Key, rsaKey],
      alertEmail: "other@tenant-one.example",
      mailboxes: [{ address: "other@tenant-one.example", passwordHash: secretHash }],
      adminCidrs: ["192.0.2.0/24"],
      mtaSts: { mode: "enforce" },
    });
    expect(renderCloudInitUserData(other, [deployKey])).toBe(userData);
  });
});
