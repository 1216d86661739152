/**
 * The dynamic provider behind CertificateKeySet. check() plans the schedule from the old inputs
 * (where it keeps it) and the time, so a preview shows a rollover as changed inputs with its
 * reason; diff() reports it; update() generates the planned key. Nothing is ever replaced: a new
 * key set would rewrite every slot, the served key's included.
 *
 * Serialized by closure like AcmeCertificate's provider: node modules are required inside methods.
 */

import type * as pulumi from "@pulumi/pulumi";
import { certificateKeyRolloverDays, certificateKeyTypeNames, isCertificateKeyType } from "../../baseline/certificates";
import { isUnknown, type InputFailure } from "./inputs";
import { assertSafeGeneration, keySlotCount, planKeySet, slotsOf, type KeySchedule, type KeySetSettings } from "./keyRollover";
import { generateCertificateKey } from "./privateKey";

/** The TLSA TTLs a tenant config accepts (tenant/parseTenantConfig.ts dnsTtlSeconds). */
const ttlRange = { min: 60, max: 86_400 };

const settingKeys = ["keyType", "rolloverDays", "dnsTtlSeconds", "forcedRollover"] as const;
const scheduleKeys = ["generation", "currentSince", "nextGeneratedAt", "ttlSeconds", "lastTtlSeconds", "forcedRolloverApplied", "slotKeyTypes"] as const;
/** Inputs whose change is an update: the settings, the schedule, and a rollover that waits (so a preview shows it). */
const comparedKeys = [...settingKeys, ...scheduleKeys, "rolloverPending"] as const;

export interface CertificateKeySetOutputs {
  /** PKCS#8 PEM per slot. Secret. */
  readonly privateKeyPems: string[];
  /** SHA-256 of each slot's SubjectPublicKeyInfo (the TLSA `3 1 1` data), lower-case hex. */
  readonly publicKeySha256s: string[];
  readonly currentSlot: number;
  readonly nextSlot: number;
  readonly retiredSlot: number;
  /** The key the certificate is issued for. Secret. */
  readonly currentPrivateKeyPem: string;
  readonly currentKeyType: string;
  readonly currentPublicKeySha256: string;
  readonly nextPublicKeySha256: string;
}

/** `onlyGiven`: judge the settings that are there (a constructor sees some as outputs still). */
export function checkKeySetSettings(raw: Record<string, unknown>, onlyGiven = false): InputFailure[] {
  const failures: InputFailure[] = [];
  const check = (property: string, ok: (value: unknown) => boolean, reason: string) => {
    const value = raw[property];
    if (value === undefined && onlyGiven) return;
    if (!isUnknown(value) && !ok(value)) failures.push({ property, reason });
  };
  const whole = (min: number, max: number) => (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
  check("keyType", isCertificateKeyType, `must be one of ${certificateKeyTypeNames.join(", ")}`);
  check("rolloverDays", whole(1, 3650), "must be a whole number of days from 1 to 3650");
  check("dnsTtlSeconds", whole(ttlRange.min, ttlRange.max), `must be the TLSA records' TTL: ${ttlRange.min} to ${ttlRange.max} seconds`);
  check("forcedRollover", whole(0, Number.MAX_SAFE_INTEGER), "must be a whole number (bump it to force a rollover)");
  return failures;
}

function previousSchedule(olds: Record<string, unknown>): KeySchedule | undefined {
  return typeof olds.generation === "number" && typeof olds.nextGeneratedAt === "string" ? (olds as unknown as KeySchedule) : undefined;
}

/** The TLSA `3 1 1` data of a key (baseline/dns/tlsa.ts spkiSha256, with node:crypto required here for the closure). */
function keySha256(privateKeyPem: string): string {
  const crypto: typeof import("node:crypto") = require("node:crypto");
  return crypto.createHash("sha256").update(crypto.createPublicKey(privateKeyPem).export({ type: "spki", format: "der" })).digest("hex");
}

function describeKeys(generation: number, privateKeyPems: readonly string[], slotKeyTypes: readonly string[]): CertificateKeySetOutputs {
  const publicKeySha256s = privateKeyPems.map(keySha256);
  const slots = slotsOf(generation);
  return {
    privateKeyPems: [...privateKeyPems],
    publicKeySha256s,
    currentSlot: slots.current,
    nextSlot: slots.next,
    retiredSlot: slots.retired,
    currentPrivateKeyPem: privateKeyPems[slots.current]!,
    currentKeyType: slotKeyTypes[slots.current]!,
    currentPublicKeySha256: publicKeySha256s[slots.current]!,
    nextPublicKeySha256: publicKeySha256s[slots.next]!,
  };
}

/** `clock` is for tests that step through months of rollovers. */
export function makeCertificateKeySetProvider(clock: () => Date = () => new Date()): pulumi.dynamic.ResourceProvider {
  return {
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
      const raw: Record<string, unknown> = { ...news, rolloverDays: news.rolloverDays ?? certificateKeyRolloverDays, forcedRollover: news.forcedRollover ?? 0 };
      const failures = checkKeySetSettings(raw);
      if (failures.length > 0 || settingKeys.some((key) => isUnknown(raw[key]))) return { inputs: raw, failures };
      const settings: KeySetSettings = {
        keyType: raw.keyType as KeySetSettings["keyType"],
        rolloverDays: raw.rolloverDays as number,
        dnsTtlSeconds: raw.dnsTtlSeconds as number,
        forcedRollover: raw.forcedRollover as number,
      };
      const plan = planKeySet(previousSchedule(olds), settings, clock());
      const inputs: Record<string, unknown> = { ...raw, ...plan.schedule };
      delete inputs.rollover;
      delete inputs.rolloverPending;
      if (plan.change !== undefined) inputs.rollover = plan.change;
      if (plan.pending !== undefined) inputs.rolloverPending = plan.pending;
      return { inputs, failures: [] };
    },

    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const changed = comparedKeys.filter((key) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null));
      return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs: Record<string, unknown>) {
      const schedule = inputs as unknown as KeySchedule;
      const privateKeyPems = await Promise.all(schedule.slotKeyTypes.map((type) => generateCertificateKey(type)));
      const outs = { ...withoutProvider(inputs), ...describeKeys(schedule.generation, privateKeyPems, schedule.slotKeyTypes) };
      const crypto: typeof import("node:crypto") = require("node:crypto");
      return { id: crypto.randomUUID(), outs };
    },

    async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const previous = previousSchedule(olds);
      const schedule = news as unknown as KeySchedule;
      const privateKeyPems = [...((olds.privateKeyPems as string[] | undefined) ?? [])];
      if (previous === undefined || privateKeyPems.length !== keySlotCount) throw new Error("the key set's state has no keys: import or recreate it");
      if (schedule.generation !== previous.generation && schedule.generation !== previous.generation + 1) {
        throw new Error(`the key generation may only advance by one per run (state ${previous.generation}, planned ${schedule.generation})`);
      }
      // Every plan that generates a key generates the next key, and dates it.
      const generate = schedule.nextGeneratedAt !== previous.nextGeneratedAt ? [slotsOf(schedule.generation).next] : [];
      assertSafeGeneration(previous, { schedule, generate });
      for (const slot of generate) privateKeyPems[slot] = await generateCertificateKey(schedule.slotKeyTypes[slot]!);
      return { outs: { ...withoutProvider(news), ...describeKeys(schedule.generation, privateKeyPems, schedule.slotKeyTypes) } };
    },
  };
}

export const certificateKeySetProvider = makeCertificateKeySetProvider();

function withoutProvider(values: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...values };
  delete copy.__provider;
  return copy;
}
