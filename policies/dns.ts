/**
 * Policies for the DNS records that carry email authentication (SPF, DKIM, DMARC, MTA-STS,
 * TLS-RPT, CAA): record-level policies judge one record's content with the baseline's
 * validators; stack-level policies judge the records of a name or a mail domain together.
 *
 * Records are Cloudflare's `DnsRecord` and its deprecated predecessor `Record` (whose content
 * may still sit in the old `value` input). Names are compared as written, lower-cased and without
 * a trailing dot; `@` stands for the zone apex.
 */

import type { PolicyConfigSchema, PolicyResource, ReportViolation } from "@pulumi/policy";
import { validateCaaRecords, type CaaRecordData } from "../baseline/dns/caa";
import { dkimSelectorFromRecordName, isDkimRecordName, parseDkimRecord, validateDkimRecord } from "../baseline/dns/dkim";
import { isDmarcRecord, parseDmarc, validateDmarc } from "../baseline/dns/dmarc";
import { isMtaStsRecord, validateMtaStsRecord } from "../baseline/dns/mtaSts";
import { isSpfRecord, parseSpf, spfDnsLookupCount, spfDnsLookupLimit, validateSpf } from "../baseline/dns/spf";
import { isTlsRptRecord, validateTlsRpt } from "../baseline/dns/tlsRpt";
import { parseTxtContent, validateTxtContent } from "../baseline/dns/txt";
import { dkimRotationMonths, dkimRsaMinimumBits } from "../baseline/keys";
import {
  describeResource,
  policyConfig,
  PreviewUnknowns,
  quote,
  validateTypes,
  type MailPolicy,
  type MailResourcePolicy,
  type MailStackPolicy,
} from "./common";

export const dnsRecordType = "cloudflare:index/dnsRecord:DnsRecord";
/** Deprecated since cloudflare v6 (DnsRecord aliases it), still accepted by the provider. */
export const legacyRecordType = "cloudflare:index/record:Record";
export const dnsRecordTypes: readonly string[] = [dnsRecordType, legacyRecordType];

export interface DnsRecordProps {
  zoneId?: string;
  name?: string;
  type?: string;
  content?: string;
  /** The deprecated `Record`'s content input. */
  value?: string;
  data?: { flags?: number; tag?: string; value?: string };
  priority?: number;
}

// ------------------------------------------------------------------------------------------------
// Reading records. Each reader touches only the inputs it needs, so a value unknown during preview
// stops only the checks that need it.

function recordKind(props: DnsRecordProps): string {
  return String(props.type ?? "").toUpperCase();
}

/** Lower case, no trailing dot: the form names are compared in. */
export function normalizeRecordName(name: unknown): string {
  const text = String(name ?? "").trim().toLowerCase().replace(/\.$/, "");
  return text === "" ? "@" : text;
}

/** The TXT record's value as resolvers join it, or why its content cannot be read. */
export function txtValue(props: DnsRecordProps): { value: string } | { problem: string } {
  const content = props.content ?? props.value;
  if (typeof content !== "string") return { problem: "has no content" };
  try {
    return { value: parseTxtContent(content) };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/** `_dmarc` or `_dmarc.<domain>`: where a DMARC policy record lives. */
function isDmarcPolicyName(name: string): boolean {
  return name === "_dmarc" || name.startsWith("_dmarc.");
}

/** Names that hold other email records: never an SPF policy. */
function isOtherEmailRecordName(name: string): boolean {
  return isDkimRecordName(name) || isDmarcPolicyName(name) || /^_mta-sts(?:\.|$)/.test(name) || /^_smtp\._tls(?:\.|$)/.test(name) || name.includes("._report._dmarc.");
}

/** The SPF record's value when this TXT record is one (undefined when it is another TXT). */
function spfValue(props: DnsRecordProps, reportViolation: ReportViolation): string | undefined {
  if (recordKind(props) !== "TXT" || isOtherEmailRecordName(normalizeRecordName(props.name))) return undefined;
  const txt = txtValue(props);
  if ("problem" in txt) {
    const raw = String(props.content ?? props.value ?? "");
    if (/v=spf1/i.test(raw)) reportViolation(`the SPF record's TXT content cannot be read: ${txt.problem}. Fix: publish it as quoted strings of at most 255 characters.`);
    return undefined;
  }
  return isSpfRecord(txt.value) ? txt.value : undefined;
}

function withFix(problems: string[], fix: string): string {
  return `${problems.join("; ")}. Fix: ${fix}`;
}

// ------------------------------------------------------------------------------------------------
// DKIM.

interface DkimStrengthConfig {
  minimumRsaBits: number;
}

const dkimStrengthSchema: PolicyConfigSchema = {
  properties: {
    minimumRsaBits: {
      type: "integer",
      minimum: dkimRsaMinimumBits,
      default: dkimRsaMinimumBits,
      description: "Smallest RSA key a DKIM record may publish, in bits (never below the baseline).",
    },
  },
};

export const dkimKeyStrength: MailResourcePolicy = {
  name: "dkim-key-strength",
  description: `DKIM key records (TXT under _domainkey) publish a valid RSA key of at least ${dkimRsaMinimumBits} bits, or Ed25519.`,
  enforcementLevel: "mandatory",
  configSchema: dkimStrengthSchema,
  rationale:
    `RFC 8301 forbids verifying with RSA keys under 1024 bits and requires signers to use at least 1024; the baseline requires ${dkimRsaMinimumBits}, ` +
    "since shorter keys have been factored and let anyone sign mail as the tenant. A record receivers cannot read (bad base64, " +
    "sha1-only h=) makes every signature fail.",
  remediationSteps: `Generate a new RSA key of at least ${dkimRsaMinimumBits} bits under a new selector, publish it, switch signing to it, then withdraw the old selector.`,
  validateResource: validateTypes<DnsRecordProps>(dnsRecordTypes, (record, args, reportViolation) => {
    if (recordKind(record) !== "TXT" || !isDkimRecordName(normalizeRecordName(record.name))) return;
    const config = policyConfig<DkimStrengthConfig>(dkimStrengthSchema, args);
    const txt = txtValue(record);
    if ("problem" in txt) {
      reportViolation(`the DKIM record's content ${txt.problem}. Fix: publish "v=DKIM1; k=rsa; p=<key>" as quoted strings.`);
      return;
    }
    const problems = validateDkimRecord(txt.value, { minimumRsaBits: config.minimumRsaBits });
    if (problems.length > 0) {
      reportViolation(withFix(problems, `publish an RSA key of at least ${config.minimumRsaBits} bits (or Ed25519 next to it) under a new selector.`));
    }
  }),
};

interface SelectorAgeConfig {
  maximumAgeMonths: number;
  referenceDate?: string;
}

const selectorAgeSchema: PolicyConfigSchema = {
  properties: {
    maximumAgeMonths: {
      type: "integer",
      minimum: 1,
      default: dkimRotationMonths,
      description: "How many months after the date in its name a selector is due for rotation (quarterly rotation: 3).",
    },
    referenceDate: {
      type: "string",
      pattern: "^\\d{4}-\\d{2}-\\d{2}$",
      description: "Judge ages as of this date (YYYY-MM-DD) instead of today, for reproducible runs.",
    },
  },
};

/**
 * The date a selector's name carries: `20260101` (day), `2026-11` or `202611` (month), `2026q4`
 * (quarter); undefined when it carries none.
 */
export function dkimSelectorDate(selector: string): Date | undefined {
  const utc = (year: number, month: number, day: number): Date | undefined => {
    if (year < 1990 || year > 2099 || month < 1 || month > 12) return undefined;
    const date = new Date(Date.UTC(year, month - 1, day));
    return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : undefined;
  };
  const text = selector.toLowerCase();
  const day = /(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)/.exec(text);
  if (day) {
    const date = utc(Number(day[1]), Number(day[2]), Number(day[3]));
    if (date) return date;
  }
  const quarter = /(?<!\d)(\d{4})-?q([1-4])(?!\d)/.exec(text);
  if (quarter) return utc(Number(quarter[1]), (Number(quarter[2]) - 1) * 3 + 1, 1);
  const month = /(?<!\d)(\d{4})-?(\d{2})(?!\d)/.exec(text);
  if (month) return utc(Number(month[1]), Number(month[2]), 1);
  return undefined;
}

function addMonths(date: Date, months: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, date.getUTCDate()));
}

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

export const dkimSelectorAge: MailResourcePolicy = {
  name: "dkim-selector-age",
  description: "DKIM selectors whose name carries a date (pm202611, s2026q4, 20260101) are rotated within a quarter.",
  enforcementLevel: "advisory",
  configSchema: selectorAgeSchema,
  rationale:
    "The baseline rotates DKIM keys quarterly (M3AAWG recommends at least every six months): a key that leaked or was " +
    "factored stops signing for the tenant soon. The date in the selector's name tells when its key was made.",
  remediationSteps:
    "Publish a new selector, switch signing to it (dkim.active), and withdraw the old one once mail signed with it has aged out.",
  validateResource: validateTypes<DnsRecordProps>(dnsRecordTypes, (record, args, reportViolation) => {
    if (recordKind(record) !== "TXT") return;
    const selector = dkimSelectorFromRecordName(normalizeRecordName(record.name));
    if (selector === undefined) return;
    const date = dkimSelectorDate(selector);
    if (date === undefined) return;
    const config = policyConfig<SelectorAgeConfig>(selectorAgeSchema, args);
    const now = config.referenceDate ? new Date(`${config.referenceDate}T00:00:00Z`) : new Date();
    const due = addMonths(date, config.maximumAgeMonths);
    if (now.getTime() <= due.getTime()) return;
    // A withdrawn key (empty p=) is how a retired selector is kept; it signs nothing.
    const txt = txtValue(record);
    if ("value" in txt && parseDkimRecord(txt.value).revoked) return;
    reportViolation(
      `selector ${quote(selector)} dates from ${isoDay(date)} and was due for rotation on ${isoDay(due)} (every ${config.maximumAgeMonths} months). ` +
        "Fix: publish a new selector, sign with it, then withdraw this one.",
    );
  }),
};

// ------------------------------------------------------------------------------------------------
// SPF.

interface SpfValidConfig {
  maximumDnsLookups: number;
}

const spfValidSchema: PolicyConfigSchema = {
  properties: {
    maximumDnsLookups: {
      type: "integer",
      minimum: 0,
      maximum: spfDnsLookupLimit,
      default: spfDnsLookupLimit,
      description: `DNS-querying terms allowed in the record (RFC 7208's limit is ${spfDnsLookupLimit}; lower it to leave room for the includes' own lookups).`,
    },
  },
};

export const spfRecordValid: MailResourcePolicy = {
  name: "spf-record-valid",
  description: `SPF records are valid, end in ~all or -all, and make at most ${spfDnsLookupLimit} DNS lookups.`,
  enforcementLevel: "mandatory",
  configSchema: spfValidSchema,
  rationale:
    `A syntax error or more than ${spfDnsLookupLimit} DNS-querying terms makes receivers return permerror (RFC 7208 4.6.4), as if there were ` +
    "no SPF; +all or ?all lets every host on the internet send as the tenant.",
  remediationSteps: "Publish v=spf1 with the droplet's ip4/ip6, at most the allowed includes, and end it in ~all or -all.",
  validateResource: validateTypes<DnsRecordProps>(dnsRecordTypes, (record, args, reportViolation) => {
    const value = spfValue(record, reportViolation);
    if (value === undefined) return;
    const config = policyConfig<SpfValidConfig>(spfValidSchema, args);
    const lookups = spfDnsLookupCount(value);
    // The baseline's validator judges the RFC limit; the configured limit replaces it here.
    const problems = validateSpf(value).filter((problem) => !problem.startsWith(`SPF: ${lookups} DNS-querying terms`));
    if (lookups > config.maximumDnsLookups) {
      problems.push(`SPF: ${lookups} DNS-querying terms (include, a, mx, ptr, exists, redirect); at most ${config.maximumDnsLookups} are allowed`);
    }
    if (problems.length > 0) reportViolation(withFix(problems, "list the sending addresses as ip4:/ip6:, drop unneeded includes, end in ~all or -all."));
  }),
};

export const spfSoftfail: MailResourcePolicy = {
  name: "spf-softfail",
  description: "SPF records end in -all once the tenant's senders are all listed (~all is the rollout phase).",
  enforcementLevel: "advisory",
  rationale:
    "~all asks receivers to accept failing mail with suspicion; -all lets them reject it. The baseline starts at ~all and " +
    "phases to -all once DMARC reports show every legitimate sender passing.",
  remediationSteps: "Set spf.all to fail (-all) once DMARC aggregate reports show no legitimate sender failing SPF.",
  validateResource: validateTypes<DnsRecordProps>(dnsRecordTypes, (record, _args, reportViolation) => {
    const value = spfValue(record, () => undefined);
    if (value === undefined) return;
    const all = parseSpf(value).terms.find((term) => term.kind === "mechanism" && term.name === "all");
    if (all && all.kind === "mechanism" && all.qualifier === "~") {
      reportViolation(`the record ends in "${all.text}" (softfail). Fix: phase to "-all" once DMARC reports show every sender passing.`);
    }
  }),
};

// ------------------------------------------------------------------------------------------------
// DMARC.

export const dmarcRecordValid: MailResourcePolicy = {
  name: "dmarc-record-valid",
  description: "DMARC records (TXT at _dmarc) are valid and name an aggregate report address (rua).",
  enforcementLevel: "mandatory",
  rationale:
    "A DMARC record receivers cannot parse is ignored (RFC 7489 6.6.3), and one without rua= leaves the tenant blind to " +
    "who sends as its domain, so moving past p=none is guesswork.",
  remediationSteps: "Publish v=DMARC1; p=<none|quarantine|reject>; rua=mailto:<address>, with only known tags.",
  validateResource: validateTypes<DnsRecordProps>(dnsRecordTypes, (record, _args, reportViolation) => {
    if (recordKind(record) !== "TXT" || !isDmarcPolicyName(normalizeRecordName(record.name))) return;
    const txt = txtValue(record);
    if ("problem" in txt) {
      reportViolation(`the DMARC record's content ${txt.problem}. Fix: publish "v=DMARC1; p=none; rua=mailto:..." as a quoted string.`);
      return;
    }
    const problems = validateDmarc(txt.value);
    if (problems.length > 0) reportViolation(withFix(problems, "publish v=DMARC1; p=...; rua=mailto:... with valid tags."));
  }),
};

const dmarcStrength: readonly string[] = ["none", "quarantine", "reject"];

interface DmarcEnforcedConfig {
  minimumPolicy: string;
}

const dmarcEnforcedSchema: PolicyConfigSchema = {
  properties: {
    minimumPolicy: {
      type: "string",
      enum: ["quarantine", "reject"],
      default: "quarantine",
      description: "The weakest DMARC policy (p=) that raises no advisory.",
    },
  },
};

export const dmarcPolicyEnforced: MailResourcePolicy = {
  name: "dmarc-policy-enforced",
  description: "DMARC records move past p=none (monitoring) to quarantine or reject.",
  enforcementLevel: "advisory",
  configSchema: dmarcEnforcedSchema,
  rationale:
    "p=none only collects reports: receivers still deliver mail that fails authentication, so spoofing the tenant works. " +
    "The baseline starts in monitor and phases to quarantine, then reject.",
  remediationSteps: "Once DMARC reports show legitimate mail passing, set dmarc.phase to quarantine (then reject).",
  validateResource: validateTypes<DnsRecordProps>(dnsRecordTypes, (record, args, reportViolation) => {
    if (recordKind(record) !== "TXT" || !isDmarcPolicyName(normalizeRecordName(record.name))) return;
    const txt = txtValue(record);
    if ("problem" in txt || !isDmarcRecord(txt.value)) return;
    const config = policyConfig<DmarcEnforcedConfig>(dmarcEnforcedSchema, args);
    const policy = parseDmarc(txt.value).policy;
    if (policy !== undefined && dmarcStrength.indexOf(policy) < dmarcStrength.indexOf(config.minimumPolicy)) {
      reportViolation(`the policy is p=${policy}: mail failing DMARC is still delivered. Fix: move to p=${config.minimumPolicy} once reports show legitimate mail passing.`);
    }
  }),
};

// ------------------------------------------------------------------------------------------------
// TXT content.

export const txtContentValid: MailResourcePolicy = {
  name: "dns-txt-content-valid",
  description: "TXT record content is quoted character-strings of at most 255 printable ASCII characters each.",
  enforcementLevel: "advisory",
  rationale:
    "A DNS character-string holds at most 255 octets (RFC 1035 3.3.14); a longer unsplit value (an RSA DKIM key) is split " +
    "by Cloudflare where it chooses, so what is published differs from what was reviewed.",
  remediationSteps: "Split long values into quoted strings of at most 255 characters (baseline/dns/txt.ts renderTxtContent does).",
  validateResource: validateTypes<DnsRecordProps>(dnsRecordTypes, (record, _args, reportViolation) => {
    if (recordKind(record) !== "TXT") return;
    const content = record.content ?? record.value;
    if (typeof content !== "string") {
      reportViolation("the TXT record has no content. Fix: set content.");
      return;
    }
    const problems = validateTxtContent(content);
    if (problems.length > 0) reportViolation(withFix(problems, "publish the value as quoted strings of at most 255 printable ASCII characters."));
  }),
};

// ------------------------------------------------------------------------------------------------
// Stack-level: records of a name, records of a mail domain.

interface RecordAt {
  readonly resource: PolicyResource;
  readonly zoneId: string;
  readonly name: string;
  readonly kind: string;
}

/** Every DNS record whose zone, name and type are known; the others are noted in `unknowns`. */
function dnsRecords(resources: readonly PolicyResource[], unknowns: PreviewUnknowns): RecordAt[] {
  const records: RecordAt[] = [];
  for (const resource of resources) {
    if (!dnsRecordTypes.includes(resource.type)) continue;
    unknowns.attempt(() => {
      const props = resource.props as DnsRecordProps;
      records.push({ resource, zoneId: String(props.zoneId ?? ""), name: normalizeRecordName(props.name), kind: recordKind(props) });
    });
  }
  return records;
}

const nameKey = (record: Pick<RecordAt, "zoneId" | "name">): string => `${record.zoneId}|${record.name}`;

/**
 * Names holding more than one record of a kind (`select` says whether a TXT value is one): a
 * violation per name, or an unknown when records whose value is not known yet could make two.
 */
function singleRecordPerName(
  resources: readonly PolicyResource[],
  applies: (record: RecordAt) => boolean,
  select: (value: string) => boolean,
  report: (name: string, records: PolicyResource[]) => void,
): void {
  const unknowns = new PreviewUnknowns();
  const known = new Map<string, PolicyResource[]>();
  const undecided = new Map<string, PreviewUnknowns>();
  for (const record of dnsRecords(resources, unknowns)) {
    if (record.kind !== "TXT" || !applies(record)) continue;
    const key = nameKey(record);
    const tracker = undecided.get(key) ?? new PreviewUnknowns();
    tracker.attempt(() => {
      const txt = txtValue(record.resource.props as DnsRecordProps);
      if ("value" in txt && select(txt.value)) known.set(key, [...(known.get(key) ?? []), record.resource]);
    });
    if (tracker.seen) undecided.set(key, tracker);
  }
  for (const [key, records] of known) {
    if (records.length > 1) report(key.slice(key.indexOf("|") + 1), records);
  }
  for (const [key, tracker] of undecided) {
    if ((known.get(key)?.length ?? 0) <= 1) unknowns.absorb(tracker);
  }
  unknowns.finish();
}

export const spfSingleRecord: MailStackPolicy = {
  name: "spf-single-record",
  description: "Each name publishes at most one SPF record.",
  enforcementLevel: "mandatory",
  rationale: "Two v=spf1 records at one name make every SPF check a permerror (RFC 7208 4.5): receivers treat the domain as having no SPF.",
  remediationSteps: "Merge the records' mechanisms into one v=spf1 record and delete the other.",
  validateStack: (args, reportViolation) =>
    singleRecordPerName(
      args.resources,
      (record) => !isOtherEmailRecordName(record.name),
      isSpfRecord,
      (name, records) =>
        reportViolation(
          `${records.length} SPF records at ${quote(name)}: ${records.map(describeResource).join(", ")}. Fix: merge them into one v=spf1 record.`,
          records[1].urn,
        ),
    ),
};

export const dmarcSingleRecord: MailStackPolicy = {
  name: "dmarc-single-record",
  description: "Each _dmarc name publishes exactly one DMARC record.",
  enforcementLevel: "mandatory",
  rationale: "With more than one v=DMARC1 record at _dmarc, receivers apply no DMARC policy at all (RFC 7489 6.6.3).",
  remediationSteps: "Keep one DMARC record per _dmarc name and delete the others.",
  validateStack: (args, reportViolation) =>
    singleRecordPerName(
      args.resources,
      (record) => isDmarcPolicyName(record.name),
      isDmarcRecord,
      (name, records) =>
        reportViolation(`${records.length} DMARC records at ${quote(name)}: ${records.map(describeResource).join(", ")}. Fix: keep one.`, records[1].urn),
    ),
};

type MailDomainRecord = "mta-sts" | "tls-rpt" | "caa";
const mailDomainRecords: readonly MailDomainRecord[] = ["mta-sts", "tls-rpt", "caa"];

interface MailDomainConfig {
  require: MailDomainRecord[];
}

const mailDomainSchema: PolicyConfigSchema = {
  properties: {
    require: {
      type: "array",
      items: { type: "string", enum: [...mailDomainRecords] },
      uniqueItems: true,
      default: [...mailDomainRecords],
      description: "Which records every domain with an MX must publish.",
    },
  },
};

/** `<prefix>.<domain>`, or the bare prefix for the apex written as `@`. */
function under(prefix: string, domain: string): string {
  return domain === "@" ? prefix : `${prefix}.${domain}`;
}

export const mailDomainSecurityRecords: MailStackPolicy = {
  name: "mail-domain-security-records",
  description: "Every domain with an MX record publishes valid MTA-STS (_mta-sts), TLS-RPT (_smtp._tls) and CAA records.",
  enforcementLevel: "advisory",
  configSchema: mailDomainSchema,
  rationale:
    "Without MTA-STS (RFC 8461) a network attacker can strip STARTTLS from mail sent to the tenant; TLS-RPT (RFC 8460) " +
    "reports when that happens; CAA (RFC 8659, RFC 8657) keeps other CAs and validation methods from issuing for the domain.",
  remediationSteps:
    'Publish _mta-sts TXT "v=STSv1; id=...", _smtp._tls TXT "v=TLSRPTv1; rua=mailto:...", and CAA issue for letsencrypt.org with validationmethods=dns-01.',
  validateStack: (args, reportViolation) => {
    const config = policyConfig<MailDomainConfig>(mailDomainSchema, args);
    const unknowns = new PreviewUnknowns();
    const records = dnsRecords(args.resources, unknowns);
    const byName = new Map<string, RecordAt[]>();
    for (const record of records) byName.set(nameKey(record), [...(byName.get(nameKey(record)) ?? []), record]);
    const mxDomains = new Map<string, RecordAt>();
    for (const record of records) if (record.kind === "MX" && !mxDomains.has(nameKey(record))) mxDomains.set(nameKey(record), record);

    for (const mx of mxDomains.values()) {
      const domain = mx.name;
      /** The `kind` records at `name` that `read` recognises, judged by `validate`; missing ones reported. */
      const check = <T>(what: MailDomainRecord, name: string, kind: string, read: (props: DnsRecordProps) => T | undefined, validate: (values: T[]) => string[]): void => {
        if (!config.require.includes(what)) return;
        const tracker = new PreviewUnknowns();
        const values: T[] = [];
        for (const record of byName.get(nameKey({ zoneId: mx.zoneId, name })) ?? []) {
          if (record.kind !== kind) continue;
          tracker.attempt(() => {
            const value = read(record.resource.props as DnsRecordProps);
            if (value !== undefined) values.push(value);
          });
        }
        unknowns.absorb(tracker);
        const label = what.toUpperCase();
        if (values.length === 0) {
          if (!tracker.seen) reportViolation(`mail domain ${quote(domain)} has an MX but no ${label} record at ${quote(name)}. Fix: publish one.`, mx.resource.urn);
          return;
        }
        const problems = validate(values);
        if (problems.length > 0) reportViolation(`mail domain ${quote(domain)}: ${withFix(problems, `correct the ${label} record at ${quote(name)}.`)}`, mx.resource.urn);
      };
      const txtMatching = (select: (value: string) => boolean) => (props: DnsRecordProps): string | undefined => {
        const txt = txtValue(props);
        return "value" in txt && select(txt.value) ? txt.value : undefined;
      };
      check("mta-sts", under("_mta-sts", domain), "TXT", txtMatching(isMtaStsRecord), (values) =>
        values.length > 1 ? [`MTA-STS: ${values.length} records; senders ignore all of them (RFC 8461 3.1)`] : validateMtaStsRecord(values[0]));
      check("tls-rpt", under("_smtp._tls", domain), "TXT", txtMatching(isTlsRptRecord), (values) =>
        values.length > 1 ? [`TLS-RPT: ${values.length} records; senders use none (RFC 8460 3)`] : validateTlsRpt(values[0]));
      check<CaaRecordData>("caa", domain, "CAA", (props) => (props.data ? { flags: Number(props.data.flags), tag: String(props.data.tag), value: String(props.data.value) } : undefined), validateCaaRecords);
    }
    unknowns.finish();
  },
};

export const dnsPolicies: MailPolicy[] = [
  dkimKeyStrength,
  dkimSelectorAge,
  spfRecordValid,
  spfSoftfail,
  spfSingleRecord,
  dmarcRecordValid,
  dmarcPolicyEnforced,
  dmarcSingleRecord,
  mailDomainSecurityRecords,
  txtContentValid,
];
