/** Policies for Cloudflare zone settings (DNS records are judged in dns.ts). */

import type { PolicyConfigSchema } from "@pulumi/policy";
import { cloudflareZoneSettings } from "../baseline/tls";
import { policyConfig, quote, validateTypes, type MailResourcePolicy } from "./common";

export const zoneSettingType = "cloudflare:index/zoneSetting:ZoneSetting";

/** The values Cloudflare accepts for min_tls_version, weakest first. */
export const cloudflareTlsVersions: readonly string[] = ["1.0", "1.1", "1.2", "1.3"];

const baselineTlsIndex = cloudflareTlsVersions.indexOf(cloudflareZoneSettings.min_tls_version);
/** Versions a tenant may require: the baseline's and stricter. */
const permittedMinimums = cloudflareTlsVersions.slice(baselineTlsIndex);

interface ZoneSettingProps {
  settingId?: string;
  value?: unknown;
}

interface MinTlsConfig {
  minimumVersion: string;
}

const minTlsSchema: PolicyConfigSchema = {
  properties: {
    minimumVersion: {
      type: "string",
      enum: [...permittedMinimums],
      default: cloudflareZoneSettings.min_tls_version,
      description: "The lowest min_tls_version a zone may set (never below the baseline).",
    },
  },
};

export const zoneMinTlsVersion: MailResourcePolicy = {
  name: "cloudflare-zone-min-tls-version",
  description: `Cloudflare zones set min_tls_version to ${cloudflareZoneSettings.min_tls_version} or higher.`,
  enforcementLevel: "mandatory",
  configSchema: minTlsSchema,
  rationale:
    "TLS 1.0 and 1.1 are deprecated (RFC 8996) and fail internet.nl; Cloudflare's edge serves whatever the zone allows to " +
    "every proxied name of the tenant.",
  remediationSteps: `Set the zone setting min_tls_version to "${cloudflareZoneSettings.min_tls_version}". At enforcement level "remediate" the policy sets it.`,
  validateResource: validateTypes<ZoneSettingProps>([zoneSettingType], (setting, args, reportViolation) => {
    if (setting.settingId !== "min_tls_version") return;
    const config = policyConfig<MinTlsConfig>(minTlsSchema, args);
    const value = setting.value;
    const index = typeof value === "string" ? cloudflareTlsVersions.indexOf(value) : -1;
    if (index === -1) {
      reportViolation(`min_tls_version ${quote(value)} is not one of ${cloudflareTlsVersions.join(", ")}. Fix: set "${config.minimumVersion}".`);
    } else if (index < cloudflareTlsVersions.indexOf(config.minimumVersion)) {
      reportViolation(`min_tls_version ${quote(value)} lets clients connect with TLS ${value}. Fix: set "${config.minimumVersion}".`);
    }
  }),
  // At level "remediate": raise a weaker (or unreadable) min_tls_version to the configured minimum.
  remediateResource: (args) => {
    if (args.type !== zoneSettingType) args.notApplicable(`Policy only applies to resources of type '${zoneSettingType}'`);
    const props = args.props as ZoneSettingProps;
    if (props.settingId !== "min_tls_version") return undefined;
    const config = policyConfig<MinTlsConfig>(minTlsSchema, args);
    const index = typeof props.value === "string" ? cloudflareTlsVersions.indexOf(props.value) : -1;
    if (index !== -1 && index >= cloudflareTlsVersions.indexOf(config.minimumVersion)) return undefined;
    return { ...props, value: config.minimumVersion };
  },
};

/** The other TLS settings the baseline sets on every zone, with the value each must have. */
const expectedZoneSettings: Readonly<Record<string, string>> = {
  ssl: cloudflareZoneSettings.ssl,
  always_use_https: cloudflareZoneSettings.always_use_https,
  tls_1_3: cloudflareZoneSettings.tls_1_3,
};

export const zoneHttpsSettings: MailResourcePolicy = {
  name: "cloudflare-zone-https-settings",
  description: `Cloudflare zones keep the baseline's HTTPS settings (${Object.entries(expectedZoneSettings).map(([id, value]) => `${id} ${value}`).join(", ")}).`,
  enforcementLevel: "advisory",
  rationale:
    "ssl strict makes Cloudflare verify the origin's certificate (flexible and full do not); always_use_https redirects " +
    "plain HTTP; TLS 1.3 is the version without legacy cipher suites.",
  remediationSteps: "Set each of these zone settings to the baseline's value.",
  validateResource: validateTypes<ZoneSettingProps>([zoneSettingType], (setting, _args, reportViolation) => {
    const settingId = String(setting.settingId);
    const expected = expectedZoneSettings[settingId];
    if (expected === undefined) return;
    if (setting.value !== expected) {
      reportViolation(`${settingId} is ${quote(setting.value)}, not ${quote(expected)}. Fix: set it to ${quote(expected)}.`);
    }
  }),
};

export const cloudflarePolicies: MailResourcePolicy[] = [zoneMinTlsVersion, zoneHttpsSettings];
