/**
 * The certificate key set's schedule as a pure function of its previous schedule, its settings and
 * the time: which key is current, which is next, and when a rollover may promote the next key.
 *
 * Three slots are used round-robin. For generation g (the current key's), slot g % 3 holds the
 * current key, (g + 1) % 3 the next key (published, never served yet) and (g + 2) % 3 the key that
 * was current before (published, still served by a host whose apply has not run yet). A rollover
 * makes g + 1 current and generates the new next key into the retired key's slot: the slots of the
 * key a host may be serving and of the new current key are never rewritten by it.
 */

import { tlsaPublicationMarginSeconds, tlsaPublicationTtls, type CertificateKeyType } from "../../baseline/certificates";

export const keySlotCount = 3;

export interface KeySetSettings {
  readonly keyType: CertificateKeyType;
  /** Days a key stays current before a scheduled rollover. */
  readonly rolloverDays: number;
  /** TTL of the TLSA records. */
  readonly dnsTtlSeconds: number;
  /** The operator's rollover counter (config acme.keyRollover): any change asks for a rollover. */
  readonly forcedRollover: number;
}

/** What the key set remembers between runs, kept in its inputs so a preview can show a change. */
export interface KeySchedule {
  /** The current key's generation; generation 0 is the first current key. */
  readonly generation: number;
  /** ISO 8601: when the current key became current. */
  readonly currentSince: string;
  /** ISO 8601: when the next key's generation was planned; its TLSA record is published in the same run. */
  readonly nextGeneratedAt: string;
  /**
   * The largest TLSA TTL in force since just before the next key was published: a resolver may
   * hold the RRset without it that long.
   */
  readonly ttlSeconds: number;
  /** The TLSA TTL of the last run. */
  readonly lastTtlSeconds: number;
  /** The acme.keyRollover value last honoured. */
  readonly forcedRolloverApplied: number;
  /** The key type in each slot. */
  readonly slotKeyTypes: readonly CertificateKeyType[];
}

export interface KeySlots {
  readonly current: number;
  readonly next: number;
  readonly retired: number;
}

export interface KeySetPlan {
  readonly schedule: KeySchedule;
  /** Slots whose key is generated in this run. */
  readonly generate: readonly number[];
  /** Why keys change in this run (shown in a preview), if they do. */
  readonly change?: string;
  /** A rollover that is due but must wait for the next key's TLSA record, and until when. */
  readonly pending?: string;
}

const dayMs = 24 * 60 * 60 * 1000;

export function slotsOf(generation: number): KeySlots {
  return { current: generation % keySlotCount, next: (generation + 1) % keySlotCount, retired: (generation + 2) % keySlotCount };
}

/** When the next key may become current: its TLSA record published for enough TTLs. */
export function nextKeyUsableAt(schedule: KeySchedule): Date {
  return new Date(Date.parse(schedule.nextGeneratedAt) + (tlsaPublicationTtls * schedule.ttlSeconds + tlsaPublicationMarginSeconds) * 1000);
}

export function planKeySet(previous: KeySchedule | undefined, settings: KeySetSettings, now: Date): KeySetPlan {
  const at = now.toISOString();
  if (previous === undefined) {
    return {
      schedule: {
        generation: 0,
        currentSince: at,
        nextGeneratedAt: at,
        ttlSeconds: settings.dnsTtlSeconds,
        lastTtlSeconds: settings.dnsTtlSeconds,
        forcedRolloverApplied: settings.forcedRollover,
        slotKeyTypes: Array.from({ length: keySlotCount }, () => settings.keyType),
      },
      generate: [0, 1, 2],
      change: "first keys: current, next and a spare, each published as a TLSA record",
    };
  }

  const ttlSeconds = Math.max(previous.ttlSeconds, settings.dnsTtlSeconds);
  const schedule: KeySchedule = { ...previous, ttlSeconds, lastTtlSeconds: settings.dnsTtlSeconds };
  // A key published now must wait out the RRset cached before it, at the TTL in force until now.
  const ttlForNewKey = Math.max(previous.lastTtlSeconds, settings.dnsTtlSeconds);
  const slots = slotsOf(previous.generation);
  const reason = rolloverReason(previous, settings, now);

  if (reason !== undefined) {
    const usableAt = nextKeyUsableAt(schedule);
    if (now.getTime() >= usableAt.getTime()) {
      const generation = previous.generation + 1;
      const newNext = slotsOf(generation).next;
      return {
        schedule: {
          generation,
          currentSince: at,
          nextGeneratedAt: at,
          ttlSeconds: ttlForNewKey,
          lastTtlSeconds: settings.dnsTtlSeconds,
          forcedRolloverApplied: settings.forcedRollover,
          slotKeyTypes: previous.slotKeyTypes.map((type, slot) => (slot === newNext ? settings.keyType : type)),
        },
        generate: [newNext],
        change: `rollover (${reason}): the next key becomes current; a new next key takes the retired key's slot`,
      };
    }
    return {
      schedule,
      generate: [],
      pending: `rollover (${reason}) waits until ${usableAt.toISOString()}: the next key's TLSA record must be published ${tlsaPublicationTtls} TTLs (${ttlSeconds} s each) before the key is used`,
    };
  }

  // A new key type applies to the next key, never to the current one: it becomes current at the next rollover.
  if (previous.slotKeyTypes[slots.next] !== settings.keyType) {
    return {
      schedule: {
        ...schedule,
        nextGeneratedAt: at,
        ttlSeconds: ttlForNewKey,
        slotKeyTypes: previous.slotKeyTypes.map((type, slot) => (slot === slots.next ? settings.keyType : type)),
      },
      generate: [slots.next],
      change: `key type ${previous.slotKeyTypes[slots.next]} -> ${settings.keyType}: a new next key (never served) replaces the old next key; it becomes current at the next rollover`,
    };
  }
  return { schedule, generate: [] };
}

function rolloverReason(previous: KeySchedule, settings: KeySetSettings, now: Date): string | undefined {
  if (settings.forcedRollover !== previous.forcedRolloverApplied) {
    return `forced: acme.keyRollover ${previous.forcedRolloverApplied} -> ${settings.forcedRollover}`;
  }
  const ageDays = (now.getTime() - Date.parse(previous.currentSince)) / dayMs;
  if (ageDays >= settings.rolloverDays) return `scheduled: the current key is ${Math.floor(ageDays)} days old (rollover every ${settings.rolloverDays})`;
  return undefined;
}

/**
 * The slots a plan may write: never the slot of the key that becomes current, nor of the key that
 * was current (a host may still serve it). Throws on a plan that breaks that, whoever made it.
 */
export function assertSafeGeneration(previous: KeySchedule | undefined, plan: KeySetPlan): void {
  if (previous === undefined) return;
  const protectedSlots = new Set([slotsOf(previous.generation).current, slotsOf(plan.schedule.generation).current]);
  const unsafe = plan.generate.filter((slot) => protectedSlots.has(slot));
  if (unsafe.length > 0) throw new Error(`refusing to overwrite the key in slot ${unsafe.join(", ")}: a host may be serving it`);
}
