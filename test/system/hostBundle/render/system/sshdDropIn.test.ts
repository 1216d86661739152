// The drop-in under OpenSSH's own sshd -t and -T, with Debian's sshd_config. The text assertions are
// in test/unit/hostBundle/render/system/sshdDropIn.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  sshCiphers,
  sshHostKeyAlgorithms,
  sshKexAlgorithms,
  sshLoginGraceTimeSeconds,
  sshMacs,
  sshMaxAuthTries,
} from "../../../../../baseline/ssh";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderSshdDropIn } from "../../../../../hostBundle/render/system/sshdDropIn";
import { directives } from "../../../../support/hostBundle/render/system/sshdDirectives";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { makeTempDir, removeTempDir, run, runOk } from "./hostCommands";

const ctx = systemTestContext({ adminUser: "opsadmin" });
const dropIn = renderSshdDropIn(ctx);

describe("OpenSSH 9.2's sshd with Debian's sshd_config and our drop-in", () => {
  const dir = makeTempDir("pm-sshd");
  afterAll(() => removeTempDir(dir));
  const dropInDir = join(dir, "sshd_config.d");
  mkdirSync(dropInDir);
  writeFileSync(join(dropInDir, basename(hostLayout.sshdDropIn)), dropIn);
  // What cloud-init writes when password logins are allowed: ours must win over it.
  writeFileSync(join(dropInDir, "50-cloud-init.conf"), "PasswordAuthentication yes\nPermitRootLogin yes\nMaxAuthTries 10\n");
  runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "ssh_host_ed25519_key")]);
  const debianConfig = readFileSync("/etc/ssh/sshd_config", "utf8");
  // Debian's sshd_config includes the drop-ins at its top; the test points that line at ours.
  if (!/^Include \/etc\/ssh\/sshd_config\.d\/\*\.conf$/m.test(debianConfig)) throw new Error("Debian's sshd_config no longer includes sshd_config.d");
  const config = [
    `HostKey ${join(dir, "ssh_host_ed25519_key")}`,
    debianConfig.replace(/^Include \/etc\/ssh\/sshd_config\.d\/\*\.conf$/m, `Include ${dropInDir}/*.conf`),
  ].join("\n");
  const configFile = join(dir, "sshd_config");
  writeFileSync(configFile, config);

  /** sshd needs its privilege separation directory: a private /run keeps the machine's untouched. */
  function sshd(args: readonly string[]) {
    return run("unshare", ["-m", "--propagation", "private", "sh", "-c", 'mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd && exec /usr/sbin/sshd "$@"', "sshd", ...args]);
  }

  it("passes sshd -t", () => {
    const check = sshd(["-t", "-f", configFile]);
    console.info(`sshd -t: ${check.ms.toFixed(0)} ms`);
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("applies our settings over Debian's and a later drop-in's (sshd -T)", () => {
    const effective = sshd(["-T", "-f", configFile, "-C", "user=opsadmin,host=client.example,addr=198.51.100.10"]);
    expect(effective.status).toBe(0);
    const values = directives(effective.stdout);
    expect(Object.fromEntries([...values].filter(([k]) => [
      "passwordauthentication", "kbdinteractiveauthentication", "permitrootlogin", "maxauthtries", "logingracetime",
      "allowusers", "authenticationmethods", "x11forwarding", "allowagentforwarding", "authorizedkeysfile", "exposeauthinfo",
    ].includes(k)))).toEqual({
      passwordauthentication: "no",
      kbdinteractiveauthentication: "no",
      permitrootlogin: "no",
      maxauthtries: String(sshMaxAuthTries),
      logingracetime: String(sshLoginGraceTimeSeconds),
      allowusers: "opsadmin",
      authenticationmethods: "publickey",
      x11forwarding: "no",
      allowagentforwarding: "no",
      // Root's file for the account only: ~/.ssh/authorized_keys is never read.
      authorizedkeysfile: "/etc/ssh/penguinmails-authorized-keys/%u",
      exposeauthinfo: "yes",
    });
    expect(values.get("kexalgorithms")).toBe(sshKexAlgorithms.join(","));
    expect(values.get("ciphers")).toBe(sshCiphers.join(","));
    expect(values.get("macs")).toBe(sshMacs.join(","));
    expect(values.get("hostkeyalgorithms")).toBe(sshHostKeyAlgorithms.join(","));
  });

  it("sshd -t rejects an algorithm OpenSSH does not know (the check is not a no-op)", () => {
    const bad = join(dir, "sshd_config_bad");
    writeFileSync(bad, config.replace(`Include ${dropInDir}/*.conf`, "Ciphers aes256-cbc-not-a-cipher"));
    const check = sshd(["-t", "-f", bad]);
    expect(check.status).not.toBe(0);
    expect(check.stderr).toMatch(/Bad SSH2 cipher spec/i);
  });
});
