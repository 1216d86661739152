// Admin key rotation on a booted Debian 12, over real SSH: the bundle's key file is the only one
// sshd reads, a rotation takes effect on the next apply, and the apply refuses keys that would
// lock out the deploy it runs under. The renderers are tested in
// test/unit/hostBundle/render/system/sshAuthorizedKeys.test.ts, the plan in
// test/unit/components/adminKeyRotation.test.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSshPublicKey } from "../../../../baseline/sshPublicKey";
import { buildHostBundle } from "../../../../hostBundle/buildHostBundle";
import { assembleHostBundle, type HostBundle } from "../../../../hostBundle/format/hostBundle";
import { hostLayout } from "../../../../hostBundle/hostLayout";
import { sshAuthorizedKeysDir, sshAuthorizedKeysPath } from "../../../../hostBundle/render/system/sshAuthorizedKeys";
import type { HostRenderContext } from "../../../../hostBundle/renderContext";
import { startDebianHost, type DebianHost } from "../../../../tools/lab/debianHost";
import { generateClientKey, sshOptions } from "../../../../tools/lab/debianHost/sshAccess";
import { mailLabZones, startLabDnsFor, type LabDns } from "../../../../tools/lab/dns";
import { auditEvents, labContext, labDeployPublicKey, labDkimKeys, prepareUpload, uploadAndApply } from "../../../../tools/lab/labApply";
import { run } from "../../../../tools/lab/net/run";
import { testRsaKeyPem } from "../../../support/hostBundle/bundle/bundleFixture";

// A cold rootfs build with the host's packages takes minutes; later runs reuse it.
const BOOT_TIMEOUT_MS = 15 * 60_000;
const APPLY_TIMEOUT_MS = 5 * 60_000;

let host: DebianHost;
let dns: LabDns | undefined;
let keyDir: string;
let keyA: { privateKeyPath: string; publicKey: string };
let keyB: { privateKeyPath: string; publicKey: string };
let keyC: { privateKeyPath: string; publicKey: string };
let keysFile: string;

function context(adminKey: string, withDeployKey = true): HostRenderContext {
  const ctx = labContext(host, { adminSshPublicKeys: [adminKey] });
  return withDeployKey ? ctx : { ...ctx, deployPublicKeys: [] };
}

function bundleFor(ctx: HostRenderContext): HostBundle {
  return buildHostBundle(ctx, { dkimPrivateKeyPems: labDkimKeys(ctx, testRsaKeyPem()) });
}

/** The same bundle with one file changed: its content, or its mode. */
function withFile(bundle: HostBundle, ctx: HostRenderContext, file: string, change: { content?: (c: string) => string; mode?: number }): HostBundle {
  return assembleHostBundle(ctx, bundle.files.map((f) => (f.path === file ? { ...f, content: change.content?.(f.content) ?? f.content, mode: change.mode ?? f.mode } : f)));
}

/** A login as the admin with one key, from this side of the lab link as an operator logs in. */
async function login(privateKeyPath: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run("ssh", [...sshOptions(privateKeyPath, host.knownHostsPath, host.rootInterface), `${host.adminUser}@${host.address.v4}`, "--", "echo logged-in"], { timeoutMs: 30_000 });
}

async function expectLogin(privateKeyPath: string, admitted: boolean): Promise<void> {
  const result = await login(privateKeyPath);
  if (admitted) {
    expect(result.stdout.trim(), result.stderr).toBe("logged-in");
    expect(result.code).toBe(0);
  } else {
    expect(result.code, result.stdout).toBe(255);
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
  }
}

async function liveSha(file: string): Promise<string> {
  return (await host.exec(`sha256sum ${file} 2>/dev/null || echo absent`)).stdout.split(" ")[0]!.trim();
}

function fingerprint(line: string): string {
  const parsed = parseSshPublicKey(line);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.key.sha256Fingerprint;
}

beforeAll(async () => {
  host = await startDebianHost();
  // The lab's DNSSEC root, which the host's validating unbound must reach for the apply's health probe.
  dns = await startLabDnsFor(host, mailLabZones(host.address, host.clientAddress));
  await prepareUpload(host);
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-admin-keys-"));
  [keyA, keyB, keyC] = await Promise.all(["a", "b", "c"].map((name) => {
    fs.mkdirSync(path.join(keyDir, name));
    return generateClientKey(path.join(keyDir, name), `admin-${name}@lab.example`);
  }));
  keysFile = sshAuthorizedKeysPath(host.adminUser);
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await dns?.stop();
  await host?.stop();
  if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
}, 60_000);

describe("admin keys on a booted Debian 12", () => {
  it("orders first boot's files before sshd: cloud-init.service's Before=sshd.service names Debian's ssh.service", async () => {
    const names = (await host.exec("systemctl show -p Id -p Names sshd.service")).stdout;
    expect(names).toMatch(/^Id=ssh\.service$/m);
    expect(names).toMatch(/^Names=.*\bsshd\.service\b/m);
  });

  it("refuses a first bundle without the deploy key (exit 3): sshd does not yet say which key the deploy uses, so every key that logs in now must stay", async () => {
    const refused = await uploadAndApply(host, bundleFor(context(keyA.publicKey, false)));
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stdout + refused.stderr).toContain(`ssh: this host's sshd does not say which key this deploy logged in with (ExposeAuthInfo), so every key that logs in as ${host.adminUser} now must stay`);
    expect(refused.stdout + refused.stderr).toContain(fingerprint(labDeployPublicKey(host)));
    expect(await liveSha(keysFile)).toBe("absent");
    expect(await liveSha(hostLayout.sshdDropIn)).toBe("absent");
  }, APPLY_TIMEOUT_MS);

  it("applies admin key A and the deploy key: A logs in, and a key the admin adds to ~/.ssh/authorized_keys does not", async () => {
    const applied = await uploadAndApply(host, bundleFor(context(keyA.publicKey)));
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect((await host.exec(`stat -c '%a %U %G %n' ${sshAuthorizedKeysDir} ${keysFile}`)).stdout.trim().split("\n")).toEqual([
      `755 root root ${sshAuthorizedKeysDir}`,
      `644 root root ${keysFile}`,
    ]);
    await expectLogin(keyA.privateKeyPath, true);

    // A login can write its own ~/.ssh/authorized_keys, but not root's file: the key it adds is never read.
    const added = await run("ssh", [...sshOptions(keyA.privateKeyPath, host.knownHostsPath, host.rootInterface), `${host.adminUser}@${host.address.v4}`, "--",
      `mkdir -p ~/.ssh && echo '${keyC.publicKey}' >> ~/.ssh/authorized_keys && { echo '${keyC.publicKey}' >> ${keysFile} 2>/dev/null && echo wrote-root-file || echo root-file-refused; }`], { timeoutMs: 30_000 });
    expect(added.stdout.trim()).toBe("root-file-refused");
    await expectLogin(keyC.privateKeyPath, false);
  }, APPLY_TIMEOUT_MS);

  it("rotates A to B on the next apply: A is refused, B logs in, and the deploy key still applies", async () => {
    const rotated = bundleFor(context(keyB.publicKey));
    const eventsBefore = (await auditEvents(host)).length;
    const applied = await uploadAndApply(host, rotated);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain("reloaded: ssh");
    const events = (await auditEvents(host)).slice(eventsBefore);
    expect(Object.keys(events.find((e) => e.eventType === "infrastructure.config.applied")!.changeset!.after)).toEqual([keysFile]);

    await expectLogin(keyA.privateKeyPath, false);
    await expectLogin(keyB.privateKeyPath, true);
    const again = await uploadAndApply(host, rotated);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`unchanged: bundle ${rotated.hash} is installed`);
  }, APPLY_TIMEOUT_MS);

  it("refuses a bundle without the deploy key (exit 3), naming the key this deploy logged in with; nothing changes", async () => {
    const before = await liveSha(keysFile);
    const refused = await uploadAndApply(host, bundleFor(context(keyB.publicKey, false)));
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stdout + refused.stderr).toContain(
      `ssh: the new authorized keys would lock out this deploy: the key it logged in with (${fingerprint(labDeployPublicKey(host))}) is not among ${host.adminUser}'s keys in ${keysFile}`,
    );
    expect(await liveSha(keysFile)).toBe(before);
    await expectLogin(keyB.privateKeyPath, true);
    await expectLogin(host.sshPrivateKeyPath, true);
  }, APPLY_TIMEOUT_MS);

  it("refuses an sshd drop-in that reads keys elsewhere, and a key file sshd would ignore (group-writable, StrictModes)", async () => {
    const ctx = context(keyB.publicKey);
    const good = bundleFor(ctx);
    const [dropIn, keys] = [await liveSha(hostLayout.sshdDropIn), await liveSha(keysFile)];

    const elsewhere = withFile(good, ctx, hostLayout.sshdDropIn, { content: (c) => c.replace(/^AuthorizedKeysFile .*$/m, "AuthorizedKeysFile /etc/ssh/elsewhere/%u") });
    const moved = await uploadAndApply(host, elsewhere);
    expect(moved.code, moved.stdout + moved.stderr).toBe(3);
    expect(moved.stdout + moved.stderr).toContain(`is not among ${host.adminUser}'s keys in /etc/ssh/elsewhere/${host.adminUser}`);

    const writable = withFile(good, ctx, keysFile, { mode: 0o664 });
    const ignored = await uploadAndApply(host, writable);
    expect(ignored.code, ignored.stdout + ignored.stderr).toBe(3);
    expect(ignored.stdout + ignored.stderr).toContain(`ssh: ${keysFile} has owner uid 0 and mode 664: sshd (StrictModes) ignores ${keysFile}`);

    expect([await liveSha(hostLayout.sshdDropIn), await liveSha(keysFile)]).toEqual([dropIn, keys]);
    await expectLogin(keyB.privateKeyPath, true);
    const unchanged = await uploadAndApply(host, good);
    expect(unchanged.stdout).toContain("unchanged");
  }, APPLY_TIMEOUT_MS);
});
