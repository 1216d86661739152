/**
 * The certificate's private keys, current and next, for DANE's "current + next" TLSA publication
 * (RFC 7671 section 8.1): the certificate is always issued for the current key, the next key is
 * published ahead, and a rollover promotes it only once its TLSA record has been in DNS for two
 * TTLs. See keyRollover.ts for the slots and why a rollover never rewrites a key a host may serve.
 */

import * as pulumi from "@pulumi/pulumi";
import type { CertificateKeyType } from "../../baseline/certificates";
import { checkKeySetSettings, certificateKeySetProvider } from "./certificateKeysProvider";
import { keySlotCount } from "./keyRollover";

export interface CertificateKeySetArgs {
  readonly keyType: pulumi.Input<CertificateKeyType>;
  /** The TTL of the TLSA records: a next key waits two of them after its record is published. */
  readonly dnsTtlSeconds: pulumi.Input<number>;
  /** Days a key stays current; default baseline/certificates.ts certificateKeyRolloverDays. */
  readonly rolloverDays?: pulumi.Input<number>;
  /** The operator's rollover counter (config acme.keyRollover): any change forces a rollover. */
  readonly forcedRollover?: pulumi.Input<number>;
}

export class CertificateKeySet extends pulumi.dynamic.Resource {
  /** PKCS#8 PEM per slot. Secret. */
  declare public readonly privateKeyPems: pulumi.Output<string[]>;
  /** SHA-256 of each slot's SubjectPublicKeyInfo: the `3 1 1` TLSA data, one record per slot. */
  declare public readonly publicKeySha256s: pulumi.Output<string[]>;
  declare public readonly currentSlot: pulumi.Output<number>;
  declare public readonly nextSlot: pulumi.Output<number>;
  declare public readonly retiredSlot: pulumi.Output<number>;
  /** The key the certificate is issued for. Secret. */
  declare public readonly currentPrivateKeyPem: pulumi.Output<string>;
  declare public readonly currentKeyType: pulumi.Output<CertificateKeyType>;
  declare public readonly currentPublicKeySha256: pulumi.Output<string>;
  declare public readonly nextPublicKeySha256: pulumi.Output<string>;
  declare public readonly generation: pulumi.Output<number>;
  /** Why the keys changed in the last run that changed them. */
  declare public readonly rollover: pulumi.Output<string | undefined>;
  /** A rollover that is due and waits for the next key's TLSA record, and until when. */
  declare public readonly rolloverPending: pulumi.Output<string | undefined>;

  constructor(name: string, args: CertificateKeySetArgs, opts?: pulumi.CustomResourceOptions) {
    const known = Object.fromEntries(Object.entries(args).filter(([, v]) => typeof v === "number" || typeof v === "string"));
    const failures = checkKeySetSettings(known, true);
    if (failures.length > 0) {
      throw new pulumi.ResourceError(`CertificateKeySet ${name}: ${failures.map((f) => `${f.property} ${f.reason}`).join("; ")}`, opts?.parent, true);
    }
    super(
      certificateKeySetProvider,
      name,
      {
        ...args,
        privateKeyPems: undefined,
        publicKeySha256s: undefined,
        currentSlot: undefined,
        nextSlot: undefined,
        retiredSlot: undefined,
        currentPrivateKeyPem: undefined,
        currentKeyType: undefined,
        currentPublicKeySha256: undefined,
        nextPublicKeySha256: undefined,
        generation: undefined,
        rollover: undefined,
        rolloverPending: undefined,
      },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "privateKeyPems", "currentPrivateKeyPem"] },
      "certificate",
      "CertificateKeySet",
    );
  }

  /** The TLSA data of one slot, for that slot's DNS record. */
  slotSha256(slot: number): pulumi.Output<string> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= keySlotCount) throw new Error(`a key set has slots 0 to ${keySlotCount - 1}`);
    return this.publicKeySha256s.apply((hashes) => hashes[slot]!);
  }
}
