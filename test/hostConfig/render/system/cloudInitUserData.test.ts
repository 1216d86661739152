import { afterAll, describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { hostLayout } from "../../../../hostBundle/hostLayout";
import { renderCloudInitUserData } from "../../../../hostBundle/render/system";
import { renderSshdHardeningSettings } from "../../../../hostBundle/render/system/sshdDropIn";
import { validEd25519Key } from "../../../config/tenantConfigFixture";
import { makeTempDir, removeTempDir, run } from "./hostCommands";
import { systemTestConfig } from "./systemRenderFixture";

/** An RSA-3072 public key in OpenSSH form, without a comment. */
function rsaPublicKeyLine(): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  const jwk = publicKey.export({ format: "jwk" });
  const field = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  const mpint = (b64url: string) => {
    const raw = Buffer.from(b64url, "base64url");
    return field((raw[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
  };
  const blob = Buffer.concat([field(Buffer.from("ssh-rsa")), mpint(jwk.e ?? ""), mpint(jwk.n ?? "")]);
  return `ssh-rsa ${blob.toString("base64")}`;
}

const rsaKey = rsaPublicKeyLine();
const secretHash = "{BLF-CRYPT}$2y$12$QjSH496pcT5CEbzjD/vtVeH03tfHKFy36d4J0Ltp3lRtee9HDxY3K";
const config = systemTestConfig({
  adminUser: "opsadmin",
  adminSshPublicKeys: [validEd25519Key, rsaKey],
  mailboxes: [{ address: "someone@tenant-one.example", passwordHash: secretHash }],
});
const userData = renderCloudInitUserData(config);

interface CloudConfig {
  users: { name: string; sudo: string; lock_passwd: boolean; ssh_authorized_keys: string[]; groups: string[] }[];
  write_files: { path: string; content: string; owner: string; permissions: string }[];
  ssh_pwauth: boolean;
  disable_root: boolean;
  package_update: boolean;
}

describe("renderCloudInitUserData", () => {
  it("is #cloud-config YAML (the marker on the very first line)", () => {
    expect(userData.split("\n")[0]).toBe("#cloud-config");
    expect(() => load(userData)).not.toThrow();
  });

  const parsed = load(userData) as CloudConfig;

  it("creates the admin user with passwordless sudo and its keys in canonical form plus comment", () => {
    expect(parsed.users).toHaveLength(1);
    const [user] = parsed.users;
    expect(user).toMatchObject({ name: "opsadmin", sudo: "ALL=(ALL) NOPASSWD:ALL", lock_passwd: true });
    expect(user?.ssh_authorized_keys).toEqual([validEd25519Key, rsaKey]);
  });

  it("turns off root and password logins, and refreshes packages", () => {
    expect(parsed).toMatchObject({ ssh_pwauth: false, disable_root: true, package_update: true });
  });

  it("writes the same sshd settings as the bundle's drop-in, at the drop-in's path", () => {
    expect(parsed.write_files).toEqual([
      { path: hostLayout.sshdDropIn, owner: "root:root", permissions: "0644", content: renderSshdHardeningSettings("opsadmin") },
    ]);
  });

  it("holds no secret: no private key, no mailbox or password hash", () => {
    expect(userData).not.toMatch(/PRIVATE KEY/);
    expect(userData).not.toContain(secretHash);
    expect(userData).not.toContain("$2y$");
    expect(userData).not.toContain("someone@tenant-one.example");
  });

  it("does not change with anything but the admin user and keys (a change replaces the droplet)", () => {
    const other = systemTestConfig({
      adminUser: "opsadmin",
      adminSshPublicKeys: [validEd25519Key, rsaKey],
      alertEmail: "other@tenant-one.example",
      adminCidrs: ["192.0.2.0/24"],
      mtaSts: { mode: "enforce" },
    });
    expect(renderCloudInitUserData(other)).toBe(userData);
  });
});

describe("cloud-init 22.4's schema check", () => {
  const dir = makeTempDir("pm-cloud-init");
  afterAll(() => removeTempDir(dir));

  function schemaCheck(text: string) {
    const file = join(dir, `user-data-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, text);
    return run("cloud-init", ["schema", "--config-file", file]);
  }

  it("accepts the user data without errors or deprecations", () => {
    const check = schemaCheck(userData);
    console.info(`cloud-init schema: ${check.ms.toFixed(0)} ms`);
    expect(check.stdout + check.stderr).not.toMatch(/error|deprecat/i);
    expect(check.stdout).toMatch(/^Valid cloud-config/);
    expect(check.status).toBe(0);
  });

  it("rejects a user data with an unknown user key (the check is not a no-op)", () => {
    const check = schemaCheck(userData.replace("    lock_passwd: true", "    lock_password: true"));
    expect(check.status).not.toBe(0);
  });
});
