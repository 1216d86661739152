/**
 * The key set's and the certificate's real providers driven as the engine drives them (check with
 * the stored inputs, then create, or diff and update), under one fake clock, through issuance, a
 * renewal, a rollover, a forced rollover that must wait, a `pulumi up` that stops between the DNS
 * update and the host apply, and a second scheduled rollover; every certificate comes from the
 * lab's Pebble. After every step, the key of the certificate the host serves is in the TLSA set
 * the key set last published, and no certificate was ever revoked. The pure schedule is tested on
 * its own in test/unit/certificate/keyRollover.test.ts.
 */

import * as crypto from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certificateKeyRolloverDays, tlsaPublicationMarginSeconds, tlsaPublicationTtls } from "../../../baseline/certificates";
import { spkiSha256 } from "../../../baseline/dns/tlsa";
import { makeCertificateKeySetProvider } from "../../../components/certificate/certificateKeysProvider";
import { makeAcmeCertificateProvider } from "../../../components/certificate/provider";
import { startAcmeLab, type AcmeLab } from "../../../tools/lab/acme";
import { labInputs } from "../../support/certificate/fixtures";

const dayMs = 24 * 60 * 60 * 1000;
const ttlSeconds = 3600;
const waitMs = (tlsaPublicationTtls * ttlSeconds + tlsaPublicationMarginSeconds) * 1000;

let lab: AcmeLab | undefined;
let now = Date.now();
const clock = () => new Date(now);

beforeAll(async () => {
  lab = await startAcmeLab();
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

type Op = "create" | "update" | "same";

/** One resource as the engine keeps it: its stored (checked) inputs and its state. */
class Managed {
  inputs: Record<string, unknown> = {};
  state: Record<string, unknown> | undefined;
  id = "";
  constructor(private readonly provider: pulumi.dynamic.ResourceProvider) {}

  /** What `pulumi up` does for the resource: check against the stored inputs, then create or diff and update. */
  async up(program: Record<string, unknown>): Promise<{ op: Op; checked: Record<string, unknown> }> {
    const { inputs: checked = {}, failures = [] } = await this.provider.check!(this.inputs, program);
    expect(failures).toEqual([]);
    if (this.state === undefined) {
      const created = await this.provider.create(checked);
      this.id = created.id;
      this.state = created.outs as Record<string, unknown>;
      this.inputs = checked;
      return { op: "create", checked };
    }
    const diff = await this.provider.diff!(this.id, this.state, checked);
    // Nothing here may ever be a replacement: that would revoke a certificate or rewrite every key.
    expect(diff.replaces ?? []).toEqual([]);
    this.inputs = checked;
    if (!diff.changes) return { op: "same", checked };
    this.state = (await this.provider.update!(this.id, this.state, checked)).outs as Record<string, unknown>;
    return { op: "update", checked };
  }

  /** `pulumi refresh`: read, and the inputs it returns replace the stored ones. */
  async refresh(): Promise<void> {
    const read = await this.provider.read!(this.id, this.state);
    if (read.inputs) this.inputs = read.inputs as Record<string, unknown>;
  }
}

/** The tenant: key set, the TLSA records, the certificate, and the host. */
class Tenant {
  readonly keys = new Managed(makeCertificateKeySetProvider(clock));
  readonly certificate = new Managed(makeAcmeCertificateProvider(clock));
  published: string[] = [];
  servedCertificatePem: string | undefined;
  readonly serials: string[] = [];
  forcedRollover = 0;
  renewBeforeDays = 30;
  private readonly base = labInputs(lab!);

  async up(stop?: "after-dns" | "after-certificate"): Promise<{ keys: Op; certificate: Op; rollover?: string; pending?: string; reissue?: string }> {
    const keys = await this.keys.up({ keyType: "ecdsa-p256", dnsTtlSeconds: ttlSeconds, forcedRollover: this.forcedRollover });
    this.assertServedKeyPublished("key set");
    this.published = [...(this.keys.state!.publicKeySha256s as string[])];
    this.assertServedKeyPublished("TLSA records");
    const result = { keys: keys.op, rollover: keys.checked.rollover as string | undefined, pending: keys.checked.rolloverPending as string | undefined };
    if (stop === "after-dns") return { ...result, certificate: "same" };

    const certificate = await this.certificate.up({
      ...this.base,
      privateKeyPem: this.keys.state!.currentPrivateKeyPem,
      keyType: this.keys.state!.currentKeyType,
      renewBeforeDays: this.renewBeforeDays,
    });
    const serial = this.certificate.state!.serial as string;
    if (!this.serials.includes(serial)) this.serials.push(serial);
    this.assertServedKeyPublished("certificate");
    const done = { ...result, certificate: certificate.op, reissue: certificate.checked.reissue as string | undefined };
    if (stop === "after-certificate") return done;

    this.servedCertificatePem = this.certificate.state!.certificatePem as string;
    this.assertServedKeyPublished("host apply");
    return done;
  }

  servedKeySha256(): string | undefined {
    return this.servedCertificatePem === undefined ? undefined : spkiSha256(new crypto.X509Certificate(this.servedCertificatePem).publicKey);
  }

  private assertServedKeyPublished(step: string): void {
    const served = this.servedKeySha256();
    if (served !== undefined) expect(this.published, `after the ${step} step at ${clock().toISOString()}`).toContain(served);
  }
}

describe("renewals and rollovers through the real providers, certificates from Pebble", () => {
  it("keeps the served key in the published TLSA set at every step, renews in place and never revokes", async () => {
    const tenant = new Tenant();
    const start = now;
    expect(await tenant.up()).toMatchObject({ keys: "create", certificate: "create" });
    const firstKey = tenant.servedKeySha256();
    expect(firstKey).toBe(tenant.keys.state!.currentPublicKeySha256);
    expect(tenant.published).toHaveLength(3);

    // An up with nothing due changes nothing.
    now = start + 100 * dayMs;
    expect(await tenant.up()).toMatchObject({ keys: "same", certificate: "same" });

    // Renewal: a new certificate for the same key, as an update; a refresh lets the preview say why.
    const notAfter = Date.parse(tenant.certificate.state!.notAfter as string);
    tenant.renewBeforeDays = Math.ceil((notAfter - now) / dayMs) + 1;
    await tenant.certificate.refresh();
    const renewed = await tenant.up();
    expect(renewed).toMatchObject({ keys: "same", certificate: "update" });
    expect(renewed.reissue).toMatch(/^renewal: expires \S+, \d+ days left \(renews at \d+ or fewer\)$/);
    expect(tenant.serials).toHaveLength(2);
    expect(tenant.servedKeySha256()).toBe(firstKey);
    // Setting the window back is an update of the resource, not a new certificate.
    tenant.renewBeforeDays = 30;
    expect(await tenant.up()).toMatchObject({ keys: "same", certificate: "update", reissue: undefined });
    expect(tenant.serials).toHaveLength(2);

    // The yearly rollover: the next key becomes current, the certificate is re-issued for it.
    now = start + certificateKeyRolloverDays * dayMs;
    const rolled = await tenant.up();
    expect(rolled).toMatchObject({ keys: "update", certificate: "update" });
    expect(rolled.rollover).toMatch(/^rollover \(scheduled: the current key is 365 days old/);
    expect(rolled.reissue).toBe("new key: the key set's current key changed (rollover or key type)");
    expect(tenant.servedKeySha256()).not.toBe(firstKey);
    expect(tenant.published).toContain(firstKey);

    // A forced rollover asked for right away waits for the new next key's record; then it goes.
    tenant.forcedRollover = 1;
    now += 10 * 60_000;
    const early = await tenant.up();
    expect(early).toMatchObject({ keys: "update", certificate: "same" });
    expect(early.pending).toMatch(/^rollover \(forced: acme.keyRollover 0 -> 1\) waits until /);
    const beforeForced = tenant.servedKeySha256();
    now += waitMs;
    const forced = await tenant.up("after-dns");
    expect(forced.rollover).toMatch(/^rollover \(forced: acme.keyRollover 0 -> 1\)/);
    // The up stopped between the DNS update and the host apply: the host still serves the old key, which is still published.
    expect(tenant.servedKeySha256()).toBe(beforeForced);
    expect(tenant.published).toContain(beforeForced);
    now += dayMs;
    expect(await tenant.up()).toMatchObject({ keys: "same", certificate: "update" });
    expect(tenant.servedKeySha256()).toBe(tenant.keys.state!.currentPublicKeySha256);

    // The second scheduled rollover, a year after the last one.
    now += certificateKeyRolloverDays * dayMs;
    expect(await tenant.up()).toMatchObject({ keys: "update", certificate: "update" });
    expect(tenant.published).not.toContain(firstKey);

    // Nothing but a delete revokes: every certificate issued along the way is still valid at the CA.
    for (const serial of tenant.serials) expect((await lab!.pebble.certificateStatus(serial)).status, serial).toBe("Valid");
    expect(tenant.serials).toHaveLength(5);
  }, 180_000);
});
