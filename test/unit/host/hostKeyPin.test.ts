/** Reading ssh-keyscan's answer strictly; the pin against a booted Debian is in test/system/host/hostKeyPin.test.ts. */

import { describe, expect, it } from "vitest";
import { parseSshPublicKey } from "../../../baseline/sshPublicKey";
import { hostKeyFingerprint, hostKeyFromKeyscan, hostKeyPinProvider } from "../../../components/host/hostKeyPinProvider";

const ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPD3xfSLExoLTCvfdLB0qg3ltBZdzupkFrqpnNkcf1Nd";

describe("hostKeyFromKeyscan", () => {
  it("takes the ed25519 key from ssh-keyscan's lines, host name first", () => {
    expect(hostKeyFromKeyscan(`192.0.2.10 ${ed25519}\n`)).toBe(ed25519);
    expect(hostKeyFromKeyscan(`# 192.0.2.10:22 SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\n[192.0.2.10]:2222 ${ed25519}\n`)).toBe(ed25519);
  });

  it("returns nothing for no answer, another key type, a truncated key or a key of another type in disguise", () => {
    expect(hostKeyFromKeyscan("")).toBeUndefined();
    expect(hostKeyFromKeyscan("192.0.2.10 ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBA==\n")).toBeUndefined();
    expect(hostKeyFromKeyscan(`192.0.2.10 ${ed25519.slice(0, -8)}\n`)).toBeUndefined();
    const rsaBlobLabelledEd25519 = `192.0.2.10 ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7\n`;
    expect(hostKeyFromKeyscan(rsaBlobLabelledEd25519)).toBeUndefined();
    expect(hostKeyFromKeyscan(`192.0.2.10 ${ed25519}AAAA\n`)).toBeUndefined();
  });

  it("fingerprints the key as ssh-keygen -lf does", () => {
    const parsed = parseSshPublicKey(ed25519);
    expect(parsed.ok && parsed.key.sha256Fingerprint).toBe(hostKeyFingerprint(ed25519));
  });
});

describe("the pin's provider", () => {
  it("checks its inputs, naming each bad one", async () => {
    const result = await hostKeyPinProvider.check!({}, { host: "mail.example.org", hostId: "", port: 70000, timeoutSeconds: 0 });
    expect(result.failures).toEqual([
      { property: "host", reason: "must be the host's IP address" },
      { property: "port", reason: "must be a port number" },
      { property: "hostId", reason: "must be the host's id" },
      { property: "timeoutSeconds", reason: "must be 1 to 3600 seconds" },
    ]);
    expect((await hostKeyPinProvider.check!({}, { host: "192.0.2.10", hostId: "1" })).inputs).toMatchObject({ port: 22, timeoutSeconds: 600 });
  });

  it("pins a new host anew, and keeps the pin for anything else", async () => {
    const olds = { host: "192.0.2.10", port: 22, hostId: "1", timeoutSeconds: 600, hostKey: ed25519 };
    expect(await hostKeyPinProvider.diff!("1", olds, { ...olds, hostId: "2" })).toMatchObject({ changes: true, replaces: ["hostId"] });
    expect(await hostKeyPinProvider.diff!("1", olds, { ...olds, host: "192.0.2.11" })).toMatchObject({ replaces: ["host"] });
    expect(await hostKeyPinProvider.diff!("1", olds, { host: "192.0.2.10", port: 22, hostId: "1", timeoutSeconds: 600 })).toMatchObject({ changes: false, replaces: [] });
    const updated = await hostKeyPinProvider.update!("1", olds, { ...olds, timeoutSeconds: 60, hostKey: undefined });
    expect(updated.outs).toMatchObject({ hostKey: ed25519, timeoutSeconds: 60 });
    // A refresh never reads the key again: without read() the engine keeps the state as it is.
    expect(hostKeyPinProvider.read).toBeUndefined();
  });
});
