// The user data under cloud-init's own schema check, and its write_files run by cloud-init 22.4's own
// module, read by OpenSSH's sshd. What it holds is tested in
// test/unit/hostBundle/render/system/cloudInitUserData.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderCloudInitUserData, renderSystemFiles } from "../../../../../hostBundle/render/system";
import { sshAuthorizedKeysDir, sshAuthorizedKeysPath } from "../../../../../hostBundle/render/system/sshAuthorizedKeys";
import { hostRenderContext } from "../../../../../hostBundle/renderContext";
import { ed25519PublicKeyLine } from "../../../../support/hostBundle/render/system/ed25519PublicKeyLine";
import { validEd25519Key } from "../../../../support/tenant/tenantConfigFixture";
import { rsaPublicKeyLine } from "../../../../support/hostBundle/render/system/rsaPublicKeyLine";
import { systemTestConfig } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { makeTempDir, removeTempDir, run, runOk } from "./hostCommands";

const rsaKey = rsaPublicKeyLine();
const secretHash = "{BLF-CRYPT}$2y$12$QjSH496pcT5CEbzjD/vtVeH03tfHKFy36d4J0Ltp3lRtee9HDxY3K";
const config = systemTestConfig({
  adminUser: "opsadmin",
  adminSshPublicKeys: [validEd25519Key, rsaKey],
  alertEmail: "someone@tenant-one.example",
  mailboxes: [{ address: "someone@tenant-one.example", passwordHash: secretHash }],
});
const deployKey = ed25519PublicKeyLine();
const userData = renderCloudInitUserData(config, [deployKey]);

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

/** Lines that configure: no comments, no blanks. */
function settings(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

describe("first boot: cloud-init 22.4's write_files, then sshd", () => {
  const dir = makeTempDir("pm-cloud-init-files");
  afterAll(() => removeTempDir(dir));
  const userDataFile = join(dir, "user-data");
  writeFileSync(userDataFile, userData);

  // In a private mount namespace, over a copy of this machine's /etc/ssh (Debian's sshd_config and
  // host keys): cloud-init's own module writes the files as root under systemd's default umask,
  // then sshd -T shows what its first start reads. Nothing of the machine's /etc/ssh changes.
  const script = `set -e
cp -a /etc/ssh/. "$1/etc-ssh/"
mount --bind "$1/etc-ssh" /etc/ssh
mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd
umask 022
/usr/bin/python3 -c 'import sys, yaml
from cloudinit.config.cc_write_files import write_files
write_files("write_files", yaml.safe_load(open(sys.argv[1]))["write_files"], "root:root")' "$2"
echo "== stat"; stat -c "%a %U %G %n" ${sshAuthorizedKeysDir} ${sshAuthorizedKeysPath("opsadmin")} ${hostLayout.sshdDropIn}
echo "== keys"; cat ${sshAuthorizedKeysPath("opsadmin")}
echo "== drop-in"; cat ${hostLayout.sshdDropIn}
echo "== sshd"; /usr/sbin/sshd -T -C user=opsadmin,host=client.example,addr=198.51.100.10`;
  runOk("mkdir", ["-m", "755", join(dir, "etc-ssh")]);
  const result = run("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", dir, userDataFile]);
  /** One part of the script's output, as printed (a file's text with its last newline). */
  const section = (name: string) => `${result.stdout.split(`== ${name}\n`)[1]?.split("\n== ")[0] ?? ""}\n`;
  const bundle = renderSystemFiles(hostRenderContext(config, "0.1.0-test", "", [deployKey]));
  const bundleFile = (path: string) => bundle.find((f) => f.path === path)!.content;

  it("runs cleanly", () => {
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("leaves root's key directory 0755 and the key file and drop-in root's, 0644: no login can write to them", () => {
    expect(section("stat").trim().split("\n")).toEqual([
      `755 root root ${sshAuthorizedKeysDir}`,
      `644 root root ${sshAuthorizedKeysPath("opsadmin")}`,
      `644 root root ${hostLayout.sshdDropIn}`,
    ]);
  });

  it("writes the keys and sshd settings the bundle installs (the bundle adds only its header)", () => {
    expect(settings(section("keys"))).toEqual(settings(bundleFile(sshAuthorizedKeysPath("opsadmin"))));
    expect(settings(section("keys"))).toContain(deployKey);
    expect(bundleFile(sshAuthorizedKeysPath("opsadmin")).endsWith(section("keys"))).toBe(true);
    expect(bundleFile(hostLayout.sshdDropIn).endsWith(section("drop-in"))).toBe(true);
  });

  it("gives sshd's first start root's key file as the only one, and the session its key (ExposeAuthInfo)", () => {
    const effective = new Map(section("sshd").split("\n").map((l) => [l.split(" ")[0]!, l.slice(l.indexOf(" ") + 1)]));
    expect(effective.get("authorizedkeysfile")).toBe(`${sshAuthorizedKeysDir}/%u`);
    expect(effective.get("authorizedkeyscommand")).toBe("none");
    expect(effective.get("exposeauthinfo")).toBe("yes");
    expect(effective.get("strictmodes")).toBe("yes");
  });

  it("runs write_files in cloud-init's init stage, which systemd starts before sshd", () => {
    // Debian's cloud.cfg: write-files among cloud_init_modules, which `cloud-init init` (cloud-init.service) runs.
    const modules = parse(readFileSync("/etc/cloud/cloud.cfg", "utf8")) as { cloud_init_modules: string[] };
    expect(modules.cloud_init_modules).toContain("write-files");
    const unit = readFileSync("/lib/systemd/system/cloud-init.service", "utf8");
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/cloud-init init$/m);
    // sshd.service is Debian's alias of ssh.service (checked on the booted Debian in adminKeyRotation.test.ts).
    expect(unit).toMatch(/^Before=sshd\.service$/m);
  });
});
