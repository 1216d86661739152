/**
 * CertificateKeySet's provider as the engine calls it, with a fake clock: what check() puts in the
 * inputs (so a preview shows a rollover and why), what diff() reports, and which slot update()
 * rewrites. The full life, with certificates from Pebble, is test/system/certificate/rollover.test.ts.
 */

import * as crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { certificateKeyRolloverDays } from "../../../baseline/certificates";
import { spkiSha256 } from "../../../baseline/dns/tlsa";
import { makeCertificateKeySetProvider } from "../../../components/certificate/certificateKeysProvider";

const dayMs = 24 * 60 * 60 * 1000;
const settings = { keyType: "ecdsa-p256", dnsTtlSeconds: 3600 };

function provider(start = Date.parse("2026-03-01T00:00:00Z")) {
  const clock = { now: start };
  return { clock, p: makeCertificateKeySetProvider(() => new Date(clock.now)) };
}

describe("the certificate key set's provider", () => {
  it("creates three distinct keys of the type asked for, and exposes the current one", async () => {
    const { p } = provider();
    const checked = await p.check!({}, settings);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toMatchObject({ generation: 0, rolloverDays: certificateKeyRolloverDays, forcedRollover: 0, slotKeyTypes: ["ecdsa-p256", "ecdsa-p256", "ecdsa-p256"] });
    const { outs } = await p.create(checked.inputs);
    expect(new Set(outs.publicKeySha256s).size).toBe(3);
    expect(outs.publicKeySha256s).toEqual(outs.privateKeyPems.map((pem: string) => spkiSha256(pem)));
    expect(outs).toMatchObject({ currentSlot: 0, nextSlot: 1, retiredSlot: 2, currentKeyType: "ecdsa-p256", currentPrivateKeyPem: outs.privateKeyPems[0] });
    expect(crypto.createPrivateKey(outs.currentPrivateKeyPem).asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
  });

  it("shows a due rollover as changed inputs with its reason, and rewrites only the retired key's slot", async () => {
    const { clock, p } = provider();
    const first = await p.check!({}, settings);
    const created = await p.create(first.inputs);
    clock.now += 30 * dayMs;
    const quiet = await p.check!(first.inputs, settings);
    expect(await p.diff!("id", created.outs, quiet.inputs)).toMatchObject({ changes: false, replaces: [] });

    clock.now += certificateKeyRolloverDays * dayMs;
    const due = await p.check!(first.inputs, settings);
    expect(due.inputs).toMatchObject({ generation: 1, rollover: expect.stringMatching(/^rollover \(scheduled: the current key is 395 days old/) });
    expect(await p.diff!("id", created.outs, due.inputs)).toMatchObject({ changes: true, replaces: [] });
    const { outs } = await p.update!("id", created.outs, due.inputs);
    expect(outs.privateKeyPems[0]).toBe(created.outs.privateKeyPems[0]);
    expect(outs.privateKeyPems[1]).toBe(created.outs.privateKeyPems[1]);
    expect(outs.privateKeyPems[2]).not.toBe(created.outs.privateKeyPems[2]);
    expect(outs.currentPrivateKeyPem).toBe(created.outs.privateKeyPems[1]);
    // The reason is shown once; the next run's check drops it, and that alone is no change.
    const after = await p.check!(due.inputs, settings);
    expect(after.inputs.rollover).toBeUndefined();
    expect(await p.diff!("id", outs, after.inputs)).toMatchObject({ changes: false });
  });

  it("keeps a forced rollover pending, as an update the preview shows, until the next key has been out two TTLs", async () => {
    const { clock, p } = provider();
    const first = await p.check!({}, settings);
    const created = await p.create(first.inputs);
    clock.now += 60_000;
    const early = await p.check!(first.inputs, { ...settings, forcedRollover: 1 });
    expect(early.inputs).toMatchObject({ generation: 0, rolloverPending: expect.stringMatching(/^rollover \(forced: acme.keyRollover 0 -> 1\) waits until 2026-03-01T02:15:00.000Z/) });
    expect(await p.diff!("id", created.outs, early.inputs)).toMatchObject({ changes: true, replaces: [] });
    const { outs } = await p.update!("id", created.outs, early.inputs);
    expect(outs.privateKeyPems).toEqual(created.outs.privateKeyPems);
  });

  it("refuses bad settings by name, and a state whose generation would jump", async () => {
    const { p } = provider();
    expect((await p.check!({}, { keyType: "rsa-1024", dnsTtlSeconds: 5, rolloverDays: 0, forcedRollover: -1 })).failures).toEqual([
      { property: "keyType", reason: "must be one of ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096" },
      { property: "rolloverDays", reason: "must be a whole number of days from 1 to 3650" },
      { property: "dnsTtlSeconds", reason: "must be the TLSA records' TTL: 60 to 86400 seconds" },
      { property: "forcedRollover", reason: "must be a whole number (bump it to force a rollover)" },
    ]);
    const first = await p.check!({}, settings);
    const created = await p.create(first.inputs);
    await expect(p.update!("id", created.outs, { ...first.inputs, generation: 2 })).rejects.toThrow("the key generation may only advance by one per run (state 0, planned 2)");
  });
});
