/** Policies for certificates issued through ACME (the AcmeCertificate dynamic resource). */

import type { PolicyConfigSchema } from "@pulumi/policy";
import {
  certificateKeyTypeNames,
  certificateKeyTypes,
  defaultCertificateKeyType,
  isCertificateKeyType,
  meetsTlsKeyMinimums,
} from "../baseline/certificates";
import { policyConfig, quote, validateTypePattern, type MailResourcePolicy } from "./common";

/**
 * A dynamic resource's type is `pulumi-nodejs:dynamic/<module>:<Type>`; the module is whatever
 * its class passes, so any module's AcmeCertificate is judged.
 */
export const acmeCertificateTypePattern = /^pulumi-nodejs:dynamic(?:\/[^:]+)?:AcmeCertificate$/;

/** Key types that meet the TLS key minimums of baseline/keys.ts. */
const strongKeyTypes = certificateKeyTypeNames.filter((name) => meetsTlsKeyMinimums(certificateKeyTypes[name]));

interface AcmeCertificateProps {
  keyType?: string;
}

interface AcmeKeyConfig {
  allowedKeyTypes: string[];
}

const acmeKeySchema: PolicyConfigSchema = {
  properties: {
    allowedKeyTypes: {
      type: "array",
      items: { type: "string", enum: [...strongKeyTypes] },
      uniqueItems: true,
      minItems: 1,
      default: [...strongKeyTypes],
      description: "Certificate key types allowed; a subset of those meeting the baseline's TLS key minimums.",
    },
  },
};

export const acmeCertificateKeyType: MailResourcePolicy = {
  name: "acme-certificate-key-type",
  description: `ACME certificates use a key type that meets the TLS key minimums (${strongKeyTypes.join(", ")}).`,
  enforcementLevel: "mandatory",
  configSchema: acmeKeySchema,
  rationale:
    "The certificate's key protects every TLS session of the mail and MTA-STS listeners; it is held to the same minimums as " +
    `every other TLS key. An unset keyType is the resource's default, ${defaultCertificateKeyType}.`,
  remediationSteps: `Set keyType to one of ${strongKeyTypes.join(", ")} (${defaultCertificateKeyType} is the default).`,
  validateResource: validateTypePattern<AcmeCertificateProps>(acmeCertificateTypePattern, "AcmeCertificate dynamic resources", (certificate, args, reportViolation) => {
    const config = policyConfig<AcmeKeyConfig>(acmeKeySchema, args);
    const keyType = certificate.keyType ?? defaultCertificateKeyType;
    if (!isCertificateKeyType(keyType)) {
      reportViolation(`keyType ${quote(keyType)} is not a certificate key type (${certificateKeyTypeNames.join(", ")}). Fix: use one of ${config.allowedKeyTypes.join(", ")}.`);
      return;
    }
    if (!meetsTlsKeyMinimums(certificateKeyTypes[keyType])) {
      reportViolation(`keyType ${quote(keyType)} is below the TLS key minimums. Fix: use one of ${config.allowedKeyTypes.join(", ")}.`);
      return;
    }
    if (!config.allowedKeyTypes.includes(keyType)) {
      reportViolation(`keyType ${quote(keyType)} is not allowed by this policy's config. Fix: use one of ${config.allowedKeyTypes.join(", ")}.`);
    }
  }),
};

export const acmePolicies: MailResourcePolicy[] = [acmeCertificateKeyType];
