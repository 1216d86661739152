/**
 * The host key pin against the booted Debian 12 host: HostKeyPin's provider reads the host's
 * ed25519 key with ssh-keyscan; connections that trust only that key work; once the host presents
 * another key (a man in the middle, a rebuilt droplet), the pinned apply is refused before the
 * bundle is uploaded, so nothing is applied, until the pin is replaced on purpose.
 */

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uploadPath } from "../../../hostBundle/apply/remoteCommands";
import { hostKeyPinProvider } from "../../../components/host/hostKeyPinProvider";
import { startDebianHost, type DebianHost } from "../../../tools/lab/debianHost";
import { auditEvents, labContext, labDkimKeys, prepareUpload, uploadAndApply } from "../../../tools/lab/labApply";
import { pinnedTransport } from "../../../tools/lab/pinnedSsh";
import { buildHostBundle } from "../../../hostBundle/buildHostBundle";
import { testRsaKeyPem } from "../../support/hostBundle/bundle/bundleFixture";

// A cold rootfs build with the host's packages takes minutes; later runs reuse it.
const BOOT_TIMEOUT_MS = 15 * 60_000;

let host: DebianHost;
let pin: Record<string, unknown>;

/** The host's own ed25519 public key, read from its tree: what it really presents. */
function presentedKey(): string {
  return fs.readFileSync(path.join(host.rootDir, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
}

async function createPin(): Promise<Record<string, unknown>> {
  const checked = await hostKeyPinProvider.check!({}, { host: host.address.v4, hostId: "lab-droplet", timeoutSeconds: 60 });
  expect(checked.failures).toEqual([]);
  return (await hostKeyPinProvider.create(checked.inputs)).outs as Record<string, unknown>;
}

beforeAll(async () => {
  host = await startDebianHost();
  await prepareUpload(host);
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await host?.stop();
}, 60_000);

describe("the pinned host key on a booted Debian", () => {
  it("pins the key the host presents, with the fingerprint ssh-keygen prints on the host", async () => {
    pin = await createPin();
    expect(pin.hostKey).toBe(presentedKey());
    const onHost = execFileSync("ssh-keygen", ["-lf", path.join(host.rootDir, "etc/ssh/ssh_host_ed25519_key.pub")], { encoding: "utf8" }).split(" ")[1];
    expect(pin.fingerprint).toBe(onHost);
  }, 120_000);

  it("connects and copies through the pin", async () => {
    const transport = pinnedTransport(host, pin.hostKey as string);
    try {
      const probe = await transport.ssh("id -un");
      expect(probe).toMatchObject({ code: 0, stdout: `${host.adminUser}\n` });
      const local = fs.mkdtempSync(path.join(os.tmpdir(), "pin-copy-"));
      fs.writeFileSync(path.join(local, "probe"), "pinned\n");
      await transport.copyTo(path.join(local, "probe"), ".penguinmails/probe");
      fs.rmSync(local, { recursive: true, force: true });
      expect((await host.exec(`cat /home/${host.adminUser}/.penguinmails/probe`)).stdout).toBe("pinned\n");
    } finally {
      transport.remove();
    }
  }, 120_000);

  it("refuses a host presenting another key: nothing is uploaded, nothing applied, until the pin is replaced", async () => {
    // Another machine at the same address, or the droplet rebuilt: a new ed25519 host key.
    const swapped = await host.exec(
      "rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && systemctl restart ssh.service",
    );
    expect(swapped.code).toBe(0);
    expect(presentedKey()).not.toBe(pin.hostKey);
    const eventsBefore = (await auditEvents(host)).length;

    const ctx = labContext(host);
    const bundle = buildHostBundle(ctx, { dkimPrivateKeyPems: labDkimKeys(ctx, testRsaKeyPem()) });
    const transport = pinnedTransport(host, pin.hostKey as string);
    try {
      await expect(uploadAndApply(host, bundle, transport)).rejects.toThrow(/Host key verification failed/);
      const ssh = await transport.ssh("true");
      expect(ssh.code).toBe(255);
      expect(ssh.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    } finally {
      transport.remove();
    }
    expect((await host.exec(`test -e /home/${host.adminUser}/${uploadPath} && echo uploaded || echo absent`)).stdout.trim()).toBe("absent");
    expect((await auditEvents(host)).length).toBe(eventsBefore);

    // A refresh or an update keeps the pin; only a new pin (pulumi up --replace <the pin's URN>) trusts the new key.
    const kept = await hostKeyPinProvider.update!("lab", pin, { ...pin, timeoutSeconds: 30 });
    expect(kept.outs).toMatchObject({ hostKey: pin.hostKey });
    const repinned = await createPin();
    expect(repinned.hostKey).toBe(presentedKey());
    const again = pinnedTransport(host, repinned.hostKey as string);
    try {
      expect((await again.ssh("true")).code).toBe(0);
    } finally {
      again.remove();
    }
  }, 180_000);
});
