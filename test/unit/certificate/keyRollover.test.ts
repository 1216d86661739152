/**
 * The key set's schedule stepped through a tenant's life: issuance, renewals, scheduled and forced
 * rollovers, a key type change, and `pulumi up` runs that stop between the key set, the DNS update,
 * the certificate and the host apply. After every single step, the key the host serves is in the
 * published TLSA set, and a key is first served only once its record has been out for two TTLs.
 * The provider driven through the same steps against Pebble is in test/system/certificate/rollover.test.ts.
 */

import { describe, expect, it } from "vitest";
import { certificateKeyRolloverDays, tlsaPublicationMarginSeconds, tlsaPublicationTtls, type CertificateKeyType } from "../../../baseline/certificates";
import { assertSafeGeneration, planKeySet, slotsOf, type KeySchedule, type KeySetSettings } from "../../../components/certificate/keyRollover";

const dayMs = 24 * 60 * 60 * 1000;
const ttlSeconds = 3600;
const waitMs = (tlsaPublicationTtls * ttlSeconds + tlsaPublicationMarginSeconds) * 1000;
const start = Date.parse("2026-01-05T10:00:00Z");

type Stop = "after-keys" | "after-dns" | "after-certificate";

/** A tenant: the key set's state, the TLSA records as published, the certificate, the host. */
class Tenant {
  schedule: KeySchedule | undefined;
  slots: string[] = [];
  keyTypes: CertificateKeyType[] = [];
  dns: (string | undefined)[] = [undefined, undefined, undefined];
  publishedAt = new Map<string, number>();
  certificateKey: string | undefined;
  served: string | undefined;
  servedHistory: string[] = [];
  private keyCount = 0;
  readonly log: string[] = [];

  constructor(public settings: KeySetSettings = { keyType: "ecdsa-p256", rolloverDays: certificateKeyRolloverDays, dnsTtlSeconds: ttlSeconds, forcedRollover: 0 }) {}

  /** One `pulumi up` at `at`, stopping (as a failed run would) after the named step. */
  up(at: number, stop?: Stop): ReturnType<typeof planKeySet> {
    const plan = planKeySet(this.schedule, this.settings, new Date(at));
    assertSafeGeneration(this.schedule, plan);
    for (const slot of plan.generate) {
      this.slots[slot] = `K${this.keyCount++}`;
      this.keyTypes[slot] = plan.schedule.slotKeyTypes[slot]!;
    }
    this.schedule = plan.schedule;
    this.checkInvariant(at, "key set");
    if (stop === "after-keys") return plan;

    // The engine updates the slot records in any order: each one is a step of its own.
    for (const slot of [2, 0, 1]) {
      if (this.dns[slot] === this.slots[slot]) continue;
      this.dns[slot] = this.slots[slot];
      if (!this.publishedAt.has(this.slots[slot]!)) this.publishedAt.set(this.slots[slot]!, at);
      this.checkInvariant(at, `TLSA record ${slot}`);
    }
    if (stop === "after-dns") return plan;

    this.certificateKey = this.slots[slotsOf(this.schedule.generation).current];
    this.checkInvariant(at, "certificate");
    if (stop === "after-certificate") return plan;

    if (this.served !== this.certificateKey) {
      const first = this.served === undefined;
      this.served = this.certificateKey;
      this.servedHistory.push(this.served!);
      if (!first) {
        const publishedFor = at - this.publishedAt.get(this.served!)!;
        expect(publishedFor, `${this.served} served ${publishedFor / 1000} s after its TLSA record was published`).toBeGreaterThanOrEqual(tlsaPublicationTtls * ttlSeconds * 1000);
      }
    }
    this.checkInvariant(at, "host apply");
    return plan;
  }

  published(): string[] {
    return this.dns.filter((k): k is string => k !== undefined);
  }

  private checkInvariant(at: number, step: string): void {
    this.log.push(`${new Date(at).toISOString()} ${step}: serves ${this.served ?? "-"}, TLSA ${this.published().join(" ")}`);
    if (this.served !== undefined) expect(this.published(), `after the ${step} step at ${new Date(at).toISOString()}`).toContain(this.served);
    // The key set never holds the same key twice, so no two TLSA records are ever equal.
    expect(new Set(this.published()).size).toBe(this.published().length);
  }
}

describe("the key set's schedule", () => {
  it("issues, renews on the same key, rolls over yearly and again, and always serves a published key", () => {
    const tenant = new Tenant();
    const first = tenant.up(start);
    expect(first.generate).toEqual([0, 1, 2]);
    expect(tenant.served).toBe("K0");
    expect(tenant.published()).toEqual(["K0", "K1", "K2"]);

    // Renewals are the certificate's business: the keys stay as they are all year.
    for (const day of [60, 120, 180, 240, 300, 364]) {
      expect(tenant.up(start + day * dayMs).generate).toEqual([]);
      expect(tenant.served).toBe("K0");
    }

    const rollover = tenant.up(start + certificateKeyRolloverDays * dayMs);
    expect(rollover.change).toMatch(/^rollover \(scheduled: the current key is 365 days old/);
    expect(rollover.generate).toEqual([2]);
    expect(tenant.served).toBe("K1");
    // The retired key (K0, served until this run's apply) stays published; the spare slot got the new next key.
    expect(tenant.published()).toEqual(["K0", "K1", "K3"]);

    tenant.up(start + 2 * certificateKeyRolloverDays * dayMs);
    expect(tenant.served).toBe("K3");
    expect(tenant.published()).toEqual(["K4", "K1", "K3"]);
    expect(tenant.servedHistory).toEqual(["K0", "K1", "K3"]);
  });

  it("forces a rollover when acme.keyRollover changes, but only once the next key has been published two TTLs", () => {
    const tenant = new Tenant();
    tenant.up(start);
    tenant.settings = { ...tenant.settings, forcedRollover: 1 };
    const early = tenant.up(start + 60_000);
    expect(early.generate).toEqual([]);
    expect(early.pending).toBe(
      `rollover (forced: acme.keyRollover 0 -> 1) waits until ${new Date(start + waitMs).toISOString()}: ` +
        `the next key's TLSA record must be published ${tlsaPublicationTtls} TTLs (${ttlSeconds} s each) before the key is used`,
    );
    expect(tenant.served).toBe("K0");
    expect(tenant.up(start + waitMs - 1).generate).toEqual([]);
    const forced = tenant.up(start + waitMs);
    expect(forced.change).toMatch(/^rollover \(forced: acme.keyRollover 0 -> 1\)/);
    expect(tenant.served).toBe("K1");
    // Honoured once: the same counter asks for nothing more.
    expect(tenant.up(start + waitMs + dayMs).generate).toEqual([]);
  });

  it("takes a compromised key out of DNS with two forced rollovers two TTLs apart", () => {
    const tenant = new Tenant();
    tenant.up(start);
    tenant.up(start + 30 * dayMs);
    const compromised = tenant.served!;
    tenant.settings = { ...tenant.settings, forcedRollover: 1 };
    tenant.up(start + 31 * dayMs);
    expect(tenant.served).not.toBe(compromised);
    expect(tenant.published()).toContain(compromised);
    tenant.settings = { ...tenant.settings, forcedRollover: 2 };
    expect(tenant.up(start + 31 * dayMs + 60_000).pending).toMatch(/^rollover \(forced: acme.keyRollover 1 -> 2\) waits until/);
    tenant.up(start + 31 * dayMs + waitMs);
    expect(tenant.published()).not.toContain(compromised);
  });

  it.each<[string, Stop]>([
    ["between the key set and the DNS update", "after-keys"],
    ["between the DNS update and the host apply", "after-dns"],
    ["between the certificate and the host apply", "after-certificate"],
  ])("keeps the served key published when a rollover's up stops %s, and finishes on the next up", (_when, stop) => {
    const tenant = new Tenant();
    tenant.up(start);
    const rolloverAt = start + certificateKeyRolloverDays * dayMs;
    const failed = tenant.up(rolloverAt, stop);
    expect(failed.generate).toEqual([2]);
    expect(tenant.served).toBe("K0");
    // The operator runs it again the next day; nothing is due, the pending steps complete.
    expect(tenant.up(rolloverAt + dayMs).generate).toEqual([]);
    expect(tenant.served).toBe("K1");
    expect(tenant.published()).toEqual(["K0", "K1", "K3"]);
  });

  it("gives a new key type to the next key only; it becomes current at the next rollover", () => {
    const tenant = new Tenant();
    tenant.up(start);
    tenant.settings = { ...tenant.settings, keyType: "rsa-3072" };
    const changed = tenant.up(start + dayMs);
    expect(changed.generate).toEqual([1]);
    expect(changed.change).toMatch(/^key type ecdsa-p256 -> rsa-3072: a new next key/);
    expect(tenant.served).toBe("K0");
    expect(tenant.keyTypes).toEqual(["ecdsa-p256", "rsa-3072", "ecdsa-p256"]);
    // The next key's clock restarted with it: a forced rollover waits for its record again.
    tenant.settings = { ...tenant.settings, forcedRollover: 1 };
    expect(tenant.up(start + dayMs + 60_000).pending).toBeDefined();
    tenant.up(start + dayMs + waitMs);
    expect(tenant.keyTypes[slotsOf(tenant.schedule!.generation).current]).toBe("rsa-3072");
  });

  it("waits out the longer TTL when the TTL grows: resolvers cached the old RRset that long", () => {
    const tenant = new Tenant();
    tenant.up(start);
    tenant.settings = { ...tenant.settings, dnsTtlSeconds: 86_400, forcedRollover: 1 };
    const pending = tenant.up(start + waitMs);
    expect(pending.pending).toMatch(/\(86400 s each\)/);
    tenant.up(start + (2 * 86_400 + tlsaPublicationMarginSeconds) * 1000);
    expect(tenant.served).toBe("K1");
  });

  it("refuses a plan that would overwrite the current key or the key a host may still serve", () => {
    const tenant = new Tenant();
    tenant.up(start);
    const previous = tenant.schedule!;
    const promoted = planKeySet(previous, { ...tenant.settings, forcedRollover: 1 }, new Date(start + waitMs));
    expect(() => assertSafeGeneration(previous, { ...promoted, generate: [slotsOf(previous.generation).current] })).toThrow(
      "refusing to overwrite the key in slot 0: a host may be serving it",
    );
    expect(() => assertSafeGeneration(previous, { ...promoted, generate: [slotsOf(promoted.schedule.generation).current] })).toThrow("slot 1");
    expect(() => assertSafeGeneration(previous, promoted)).not.toThrow();
  });
});
