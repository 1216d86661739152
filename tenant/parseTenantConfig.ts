import { z } from "zod";
import { smtpLimits } from "../baseline/abuse";
import { certificateKeyTypeNames, defaultCertificateKeyType } from "../baseline/certificates";
import { certificateRenewBeforeDays } from "../baseline/tls";
import { cidrCoversEverything, cidrHasHostBitsSet, parseCidr } from "../baseline/cidr";
import { isValidDkimSelector } from "../baseline/dns/dkim";
import { dmarcExternalReportDomains, dmarcReportAuthorizationName } from "../baseline/dns/dmarc";
import { parseMailtoUri } from "../baseline/dns/mailto";
import { mtaStsDefaultMaxAgeSeconds, mtaStsMaxAgeLimitSeconds } from "../baseline/dns/mtaSts";
import { normalizeMailDomain } from "../baseline/dns/domainName";
import { parseSshPublicKey, type SshPublicKey } from "../baseline/sshPublicKey";
import { configNamespace, secretConfigKeys, type ConfigProblem, type TenantConfig, type TenantConfigResult } from "./tenantConfig";

const reportUris = z.array(z.string()).min(1, { error: "needs at least one mailto: URI" });

const rawTenantConfigSchema = z.strictObject({
  domain: z.string({ error: "is required: the tenant's mail domain, e.g. tenant-one.example" }),
  region: z.string().regex(/^[a-z]{3}[0-9]$/, { error: "must be a DigitalOcean region slug such as fra1 or nyc3" }).default("fra1"),
  size: z.string().regex(/^[a-z0-9-]+$/, { error: "must be a DigitalOcean size slug such as s-1vcpu-2gb" }).default("s-1vcpu-2gb"),
  // The apply script and every rendered file target Debian 12's daemon versions.
  image: z.string().regex(/^debian-12-x64$/, { error: "must be debian-12-x64: the host bundle is built for Debian 12" }).default("debian-12-x64"),
  adminUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "must be a Linux user name (lowercase, at most 32 characters)" }).refine((u) => u !== "root", { error: "must not be root: root login over SSH is disabled" }).default("mailadmin"),
  adminCidrs: z.array(z.string(), { error: "is required: a list of CIDR blocks allowed to reach SSH" }).min(1, { error: "needs at least one CIDR block allowed to reach SSH" }),
  deployCidrs: z.array(z.string()).default([]),
  adminSshPublicKeys: z.array(z.string(), { error: "is required: a list of OpenSSH public keys for the admin user" }).min(1, { error: "needs at least one admin SSH public key" }),
  alertEmail: z.string({ error: "is required: where ban notices and certificate alerts go" }),
  cloudflareZoneId: z.string({ error: "is required: the Cloudflare zone id of the tenant domain" }).regex(/^[0-9a-f]{32}$/, { error: "must be a Cloudflare zone id: 32 lowercase hexadecimal characters" }),
  dnsTtlSeconds: z.coerce.number().int().min(60).max(86400).default(3600),
  dmarc: z.strictObject({
    phase: z.enum(["monitor", "quarantine", "reject"], { error: "must be one of monitor, quarantine, reject" }).default("monitor"),
    rua: reportUris.optional(),
    ruf: z.array(z.string()).default([]),
    quarantineRollout: z.union([
      z.strictObject({ style: z.literal("pct"), percent: z.number().int().min(1).max(100) }),
      z.strictObject({ style: z.literal("testing") }),
    ], { error: "must be {style: pct, percent: 1-100} or {style: testing}" }).default({ style: "pct", percent: 10 }),
    adkim: z.enum(["r", "s"], { error: "must be r (relaxed) or s (strict)" }).default("r"),
    aspf: z.enum(["r", "s"], { error: "must be r (relaxed) or s (strict)" }).default("r"),
  }).default({ phase: "monitor", ruf: [], quarantineRollout: { style: "pct", percent: 10 }, adkim: "r", aspf: "r" }),
  spf: z.strictObject({
    all: z.enum(["softfail", "fail"], { error: "must be softfail (~all) or fail (-all)" }).default("softfail"),
    include: z.array(z.string()).default([]),
  }).default({ all: "softfail", include: [] }),
  dkim: z.strictObject({
    selectors: z.array(z.string()).min(1, { error: "needs at least one selector" }),
    active: z.string(),
  }).optional(),
  mtaSts: z.strictObject({
    mode: z.enum(["testing", "enforce"], { error: "must be testing or enforce" }).default("testing"),
    maxAgeSeconds: z.number().int().min(86400, { error: "must be at least 86400 (one day)" }).max(mtaStsMaxAgeLimitSeconds, { error: `must be at most ${mtaStsMaxAgeLimitSeconds} (RFC 8461)` }).default(mtaStsDefaultMaxAgeSeconds),
  }).default({ mode: "testing", maxAgeSeconds: mtaStsDefaultMaxAgeSeconds }),
  tlsRpt: z.strictObject({ rua: reportUris.optional() }).default({}),
  caa: z.strictObject({ iodef: z.string().optional() }).default({}),
  limits: z.strictObject({
    messagesPerHourPerAccount: z.number().int().min(1).max(100000).default(smtpLimits.messagesPerHourPerAccount),
  }).default({ messagesPerHourPerAccount: smtpLimits.messagesPerHourPerAccount }),
  acme: z.strictObject({
    directory: z.string().refine((d) => d === "letsencrypt" || d === "letsencrypt-staging" || /^https:\/\/[^\s/]+\/\S*$/.test(d), { error: "must be letsencrypt, letsencrypt-staging or an https:// ACME directory URL" }).default("letsencrypt"),
    keyType: z.enum(certificateKeyTypeNames as [string, ...string[]], { error: `must be one of ${certificateKeyTypeNames.join(", ")}` }).default(defaultCertificateKeyType),
    renewBeforeDays: z.number().int().min(7, { error: "must be at least 7: the expiry alerts start at 7 days" }).max(60, { error: "must be at most 60: Let's Encrypt certificates last 90 days" }).default(certificateRenewBeforeDays),
    revokeOnDelete: z.boolean().default(true),
  }).default({ directory: "letsencrypt", keyType: defaultCertificateKeyType, renewBeforeDays: certificateRenewBeforeDays, revokeOnDelete: true }),
  [secretConfigKeys.acmeDnsApiToken]: z.string({ error: "is required: a Cloudflare API token limited to DNS edit on the tenant zone (pulumi config set --secret)" }),
  mailboxes: z.array(z.strictObject({
    address: z.string(),
    passwordHash: z.string(),
  }), { error: "must be a list of {address, passwordHash}" }).default([]),
  tags: z.array(z.string().regex(/^[A-Za-z0-9:_-]{1,255}$/, { error: "must be a DigitalOcean tag: letters, digits, colon, dash, underscore" })).default([]),
});

/** Formats a zod/problem path as the key an operator types: `penguinmails-mail:dmarc.rua[0]`. */
export function configKey(path: readonly PropertyKey[]): string {
  let key = configNamespace + ":";
  path.forEach((part, i) => {
    if (typeof part === "number") key += `[${part}]`;
    else key += (i === 0 ? "" : ".") + String(part);
  });
  return key;
}

function describeZodIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => ({ key: configKey([...issue.path, k]), message: "is not a known setting (check the spelling; see the README's config reference)" }));
  }
  if (issue.code === "invalid_type" && !issue.message.startsWith("is required") && !/^(must|needs)/.test(issue.message)) {
    return [{ key: configKey(issue.path), message: `must be ${issue.expected === "array" ? "a list" : `a ${issue.expected}`}` }];
  }
  if (issue.code === "too_small" && issue.origin === "number") {
    return [{ key: configKey(issue.path), message: issue.message.startsWith("must") ? issue.message : `must be at least ${String(issue.minimum)}` }];
  }
  if (issue.code === "too_big" && issue.origin === "number") {
    return [{ key: configKey(issue.path), message: issue.message.startsWith("must") ? issue.message : `must be at most ${String(issue.maximum)}` }];
  }
  return [{ key: configKey(issue.path), message: issue.message }];
}

function validateCidrs(cidrs: readonly string[], name: string, problems: ConfigProblem[]): void {
  cidrs.forEach((text, i) => {
    const key = configKey([name, i]);
    const parsed = parseCidr(text);
    if (!parsed.ok) problems.push({ key, message: parsed.error });
    else if (cidrCoversEverything(parsed.cidr)) {
      problems.push({ key, message: `"${text}" would open SSH to the whole internet; list the addresses admins and deploy runners use` });
    } else if (cidrHasHostBitsSet(parsed.cidr)) {
      problems.push({ key, message: `"${text}" has host bits set; write the block as ${parsed.cidr.network}` });
    }
  });
}

function validateMailtoList(uris: readonly string[], path: PropertyKey[], problems: ConfigProblem[]): void {
  uris.forEach((uri, i) => {
    const parsed = parseMailtoUri(uri);
    if ("error" in parsed) problems.push({ key: configKey([...path, i]), message: parsed.error });
  });
}

const simpleEmail = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/**
 * Validates one tenant's raw config (keys without the namespace, values as Pulumi hands them
 * over: strings, or parsed JSON for lists and objects). Reports every problem at once.
 */
export function parseTenantConfig(raw: Readonly<Record<string, unknown>>): TenantConfigResult {
  const problems: ConfigProblem[] = [];
  const notices: ConfigProblem[] = [];
  const parsed = rawTenantConfigSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.flatMap(describeZodIssue));
  }
  const input = parsed.success ? parsed.data : undefined;

  const domainKey = configKey(["domain"]);
  let domain: string | undefined;
  if (typeof raw.domain === "string") {
    const normalized = normalizeMailDomain(raw.domain);
    problems.push(...normalized.errors.map((message) => ({ key: domainKey, message })));
    notices.push(...normalized.notices.map((message) => ({ key: domainKey, message })));
    domain = normalized.domain;
  }

  if (Array.isArray(raw.adminCidrs)) validateCidrs(raw.adminCidrs.filter((c): c is string => typeof c === "string"), "adminCidrs", problems);
  if (Array.isArray(raw.deployCidrs)) validateCidrs(raw.deployCidrs.filter((c): c is string => typeof c === "string"), "deployCidrs", problems);

  const sshKeys: SshPublicKey[] = [];
  if (Array.isArray(raw.adminSshPublicKeys)) {
    raw.adminSshPublicKeys.forEach((line, i) => {
      if (typeof line !== "string") return;
      const key = parseSshPublicKey(line);
      if (key.ok) sshKeys.push(key.key);
      else problems.push({ key: configKey(["adminSshPublicKeys", i]), message: key.error });
    });
  }

  if (typeof raw.alertEmail === "string" && !simpleEmail.test(raw.alertEmail)) {
    problems.push({ key: configKey(["alertEmail"]), message: `"${raw.alertEmail}" is not an email address` });
  }

  collectSemanticProblems(raw, domain, problems, notices);
  if (!input || !domain || problems.length > 0) {
    return { ok: false, problems: sortByKey(problems), notices };
  }

  const dkim = input.dkim ?? { selectors: [defaultDkimSelector], active: defaultDkimSelector };
  const config: TenantConfig = {
    domain,
    region: input.region,
    size: input.size,
    image: input.image,
    adminUser: input.adminUser,
    adminCidrs: input.adminCidrs,
    deployCidrs: input.deployCidrs,
    adminSshPublicKeys: sshKeys,
    alertEmail: input.alertEmail,
    cloudflareZoneId: input.cloudflareZoneId,
    dnsTtlSeconds: input.dnsTtlSeconds,
    dmarc: {
      phase: input.dmarc.phase,
      rua: input.dmarc.rua ?? [`mailto:dmarc@${domain}`],
      ruf: input.dmarc.ruf,
      quarantineRollout: input.dmarc.quarantineRollout,
      adkim: input.dmarc.adkim,
      aspf: input.dmarc.aspf,
    },
    spf: input.spf,
    dkim,
    mtaSts: input.mtaSts,
    tlsRpt: { rua: input.tlsRpt.rua ?? [`mailto:tlsrpt@${domain}`] },
    caa: { iodef: input.caa.iodef ?? `mailto:${input.alertEmail}` },
    limits: input.limits,
    acme: { ...input.acme, keyType: input.acme.keyType as TenantConfig["acme"]["keyType"] },
    mailboxes: input.mailboxes,
    tags: input.tags,
  };
  return { ok: true, config, notices };
}

/** Used when a tenant configures no selectors: a stable name, rotated by configuring new ones. */
export const defaultDkimSelector = "mail";

/**
 * Dovecot schemes strong enough for stored passwords. bcrypt at cost 12 or more (the product spec's
 * cost factor), SHA512-CRYPT, or Argon2id; anything else (PLAIN, MD5, SHA1) is refused.
 */
function passwordHashProblem(hash: string): string | undefined {
  const bcrypt = /^\{BLF-CRYPT\}\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(hash);
  if (bcrypt) return Number(bcrypt[1]) >= 12 ? undefined : `bcrypt cost ${bcrypt[1]} is below 12; hash again with doveadm pw -s BLF-CRYPT -r 12`;
  if (/^\{SHA512-CRYPT\}\$6\$(rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{86}$/.test(hash)) return undefined;
  if (/^\{ARGON2ID\}\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(hash)) return undefined;
  return "must be a hash from `doveadm pw -s BLF-CRYPT -r 12` ({BLF-CRYPT}, {SHA512-CRYPT} or {ARGON2ID}); never a plain password";
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function section(raw: Readonly<Record<string, unknown>>, name: string): Record<string, unknown> {
  const value = raw[name];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function sortByKey(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.key.localeCompare(b.key, "en", { numeric: true }));
}

/** Checks that need more than a type: run on the raw values so they report even when the shape is wrong elsewhere. */
function collectSemanticProblems(raw: Readonly<Record<string, unknown>>, domain: string | undefined, problems: ConfigProblem[], notices: ConfigProblem[]): void {
  const dmarc = section(raw, "dmarc");
  const rua = stringList(dmarc.rua);
  validateMailtoList(rua, ["dmarc", "rua"], problems);
  validateMailtoList(stringList(dmarc.ruf), ["dmarc", "ruf"], problems);
  validateMailtoList(stringList(section(raw, "tlsRpt").rua), ["tlsRpt", "rua"], problems);
  const iodef = section(raw, "caa").iodef;
  if (typeof iodef === "string") {
    const parsed = parseMailtoUri(iodef);
    if ("error" in parsed) problems.push({ key: configKey(["caa", "iodef"]), message: parsed.error });
  }
  stringList(section(raw, "spf").include).forEach((include, i) => {
    const normalized = normalizeMailDomain(include);
    if (normalized.errors.length > 0 || normalized.domain !== include) {
      problems.push({ key: configKey(["spf", "include", i]), message: `"${include}" must be a lowercase domain name such as _spf.provider.example` });
    }
  });
  const dkim = section(raw, "dkim");
  const selectors = stringList(dkim.selectors);
  selectors.forEach((selector, i) => {
    if (!isValidDkimSelector(selector)) {
      problems.push({ key: configKey(["dkim", "selectors", i]), message: `"${selector}" is not a valid DNS label (letters, digits, inner hyphens, at most 63 characters)` });
    }
  });
  const duplicates = selectors.filter((s, i, all) => all.indexOf(s) !== i);
  if (duplicates.length > 0) problems.push({ key: configKey(["dkim", "selectors"]), message: `lists ${duplicates.join(", ")} more than once` });
  if (typeof dkim.active === "string" && selectors.length > 0 && !selectors.includes(dkim.active)) {
    problems.push({ key: configKey(["dkim", "active"]), message: `"${dkim.active}" is not one of the published selectors (${selectors.join(", ")}); publish a selector before signing with it` });
  }
  const mailboxes = Array.isArray(raw.mailboxes) ? raw.mailboxes : [];
  const seen = new Set<string>();
  mailboxes.forEach((mailbox: unknown, i) => {
    if (typeof mailbox !== "object" || mailbox === null) return;
    const { address, passwordHash } = mailbox as Record<string, unknown>;
    if (typeof address === "string") {
      const [local, at] = [address.slice(0, address.lastIndexOf("@")), address.slice(address.lastIndexOf("@") + 1)];
      if (!address.includes("@") || !/^[a-z0-9._+-]{1,64}$/.test(local) || (domain && at !== domain)) {
        problems.push({ key: configKey(["mailboxes", i, "address"]), message: `"${address}" must be a lowercase address in ${domain ?? "the tenant domain"}` });
      } else if (seen.has(address)) {
        problems.push({ key: configKey(["mailboxes", i, "address"]), message: `"${address}" is listed twice` });
      }
      seen.add(address);
    }
    if (typeof passwordHash === "string") {
      const problem = passwordHashProblem(passwordHash);
      if (problem) problems.push({ key: configKey(["mailboxes", i, "passwordHash"]), message: problem });
    }
  });
  if (domain && rua.length > 0) {
    for (const ruaDomain of dmarcExternalReportDomains(domain, rua)) {
      notices.push({
        key: configKey(["dmarc", "rua"]),
        message: `reports go to ${ruaDomain}, which must publish TXT "v=DMARC1" at ${dmarcReportAuthorizationName(domain, ruaDomain)} or receivers will not send them`,
      });
    }
  }
}
