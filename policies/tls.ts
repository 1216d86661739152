/** Policies for keys made by the `tls` provider. */

import type { PolicyConfigSchema } from "@pulumi/policy";
import { tlsAllowedEcdsaCurves, tlsProviderDefaultEcdsaCurve, tlsRsaMinimumBits } from "../baseline/keys";
import { policyConfig, quote, validateTypes, type MailResourcePolicy } from "./common";

export const tlsPrivateKeyType = "tls:index/privateKey:PrivateKey";

/**
 * The provider's schema default for `rsaBits` (a fact about the tls provider, not a baseline
 * number): an RSA key without rsaBits is this size.
 */
export const tlsProviderDefaultRsaBits = 2048;

/** Every curve the tls provider accepts, the weak default included. */
const tlsProviderCurves = ["P224", "P256", "P384", "P521"];

interface PrivateKeyProps {
  algorithm?: string;
  rsaBits?: number;
  ecdsaCurve?: string;
}

interface TlsKeyConfig {
  minimumRsaBits: number;
  allowedEcdsaCurves: string[];
  allowEd25519: boolean;
}

const tlsKeySchema: PolicyConfigSchema = {
  properties: {
    minimumRsaBits: {
      type: "integer",
      minimum: tlsRsaMinimumBits,
      default: tlsRsaMinimumBits,
      description: "Smallest RSA key size allowed, in bits (never below the baseline).",
    },
    allowedEcdsaCurves: {
      type: "array",
      items: { type: "string", enum: [...tlsAllowedEcdsaCurves] },
      uniqueItems: true,
      default: [...tlsAllowedEcdsaCurves],
      description: `ECDSA curves allowed; a subset of the baseline's (${tlsProviderDefaultEcdsaCurve}, the provider's default, is never allowed).`,
    },
    allowEd25519: { type: "boolean", default: true, description: "Whether ED25519 keys are allowed." },
  },
};

export const tlsPrivateKeyStrength: MailResourcePolicy = {
  name: "tls-private-key-strength",
  description: `TLS private keys are RSA of at least ${tlsRsaMinimumBits} bits, ECDSA on ${tlsAllowedEcdsaCurves.join("/")}, or ED25519.`,
  enforcementLevel: "mandatory",
  configSchema: tlsKeySchema,
  rationale:
    "A key below these strengths can be broken or is deprecated (NIST SP 800-57, BSI TR-02102). tls.PrivateKey " +
    `silently uses ${tlsProviderDefaultEcdsaCurve} when ecdsaCurve is unset, so an unset curve counts as ${tlsProviderDefaultEcdsaCurve}.`,
  remediationSteps: `Use algorithm RSA with rsaBits of at least ${tlsRsaMinimumBits}, ECDSA with an explicit ecdsaCurve (${tlsAllowedEcdsaCurves.join(", ")}), or ED25519.`,
  validateResource: validateTypes<PrivateKeyProps>([tlsPrivateKeyType], (key, args, reportViolation) => {
    const config = policyConfig<TlsKeyConfig>(tlsKeySchema, args);
    const algorithm = typeof key.algorithm === "string" ? key.algorithm.toUpperCase() : key.algorithm;
    switch (algorithm) {
      case "RSA": {
        const bits = key.rsaBits ?? tlsProviderDefaultRsaBits;
        if (typeof bits !== "number" || bits < config.minimumRsaBits) {
          reportViolation(`RSA key of ${quote(bits)} bits; at least ${config.minimumRsaBits} are required. Fix: set rsaBits to at least ${config.minimumRsaBits}.`);
        }
        return;
      }
      case "ECDSA": {
        const unset = key.ecdsaCurve === undefined || key.ecdsaCurve === null || key.ecdsaCurve === "";
        const curve = unset ? tlsProviderDefaultEcdsaCurve : key.ecdsaCurve;
        if (!config.allowedEcdsaCurves.includes(String(curve))) {
          const why = unset ? `ecdsaCurve is unset, so the provider uses its default ${tlsProviderDefaultEcdsaCurve}` : `curve ${quote(curve)} is not allowed`;
          const known = unset || tlsProviderCurves.includes(String(curve)) ? "" : " (not a curve the tls provider knows)";
          reportViolation(`ECDSA key: ${why}${known}; allowed curves: ${config.allowedEcdsaCurves.join(", ")}. Fix: set ecdsaCurve explicitly to one of them.`);
        }
        return;
      }
      case "ED25519":
        if (!config.allowEd25519) reportViolation(`ED25519 keys are disabled by this policy's config. Fix: use ECDSA (${config.allowedEcdsaCurves.join(", ")}) or RSA of at least ${config.minimumRsaBits} bits.`);
        return;
      default:
        reportViolation(`algorithm ${quote(key.algorithm)} is not RSA, ECDSA or ED25519, so its strength cannot be judged. Fix: use one of those.`);
    }
  }),
};

export const tlsPolicies: MailResourcePolicy[] = [tlsPrivateKeyStrength];
