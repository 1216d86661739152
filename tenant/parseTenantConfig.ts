import { z } from "zod";
import { smtpLimits } from "../baseline/abuse";
import { certificateKeyTypeNames, defaultCertificateKeyType, type CertificateKeyType } from "../baseline/certificates";
import { isValidDkimSelector } from "../baseline/dns/dkim";
import { dmarcExternalReportDomains, dmarcReportAuthorizationName } from "../baseline/dns/dmarc";
import { normalizeMailDomain } from "../baseline/dns/domainName";
import { parseMailtoUri } from "../baseline/dns/mailto";
import { mtaStsDefaultMaxAgeSeconds, mtaStsMaxAgeLimitSeconds } from "../baseline/dns/mtaSts";
import { mailAddressDomain, mailAddressProblem } from "../baseline/mailAddress";
import { reservedAccountNames, reservedAccountPatterns } from "../baseline/ssh";
import { parseSshPublicKey, type SshPublicKey } from "../baseline/sshPublicKey";
import { defaultMailboxQuotaMegabytes, maximumMailboxQuotaMegabytes } from "../baseline/storage";
import { certificateRenewBeforeDays } from "../baseline/tls";
import { flag, list, oneOf, text, wholeNumber } from "./configValues";
import { describeType, displayValue } from "./displayValue";
import { lostMailProblem, mailRouting, type MailAlias } from "./mailRouting";
import { judgePasswordHash } from "./passwordHashes";
import { sshSourceProblems } from "./sshSources";
import { configNamespace, secretConfigKeys, type ConfigProblem, type TenantConfig, type TenantConfigResult } from "./tenantConfig";

/** Report URIs per record: receivers must honour two (RFC 7489 6.2); more only bloats the record. */
const maximumReportUris = 5;
const reportUris = list(text()).min(1, { error: "needs at least one mailto: URI" }).max(maximumReportUris, { error: `lists more than ${maximumReportUris} report URIs; receivers need only two (RFC 7489 6.2)` });

/** The shape and ranges of every key; the checks that need several keys at once follow below. */
const rawTenantConfigSchema = z.strictObject({
  domain: text("the tenant's mail domain, e.g. tenant-one.example"),
  region: text().regex(/^[a-z]{3}[0-9]$/, { error: "must be a DigitalOcean region slug such as fra1 or nyc3" }).default("fra1"),
  size: text().regex(/^[a-z0-9-]{1,40}$/, { error: "must be a DigitalOcean size slug such as s-1vcpu-2gb" }).default("s-1vcpu-2gb"),
  // The apply script and every rendered file target Debian 12's daemon versions.
  image: text().regex(/^debian-12-x64$/, { error: "must be debian-12-x64: the host bundle is built for Debian 12" }).default("debian-12-x64"),
  adminUser: text().regex(/^[a-z][a-z0-9_-]{0,31}$/, { error: "must be a Linux user name: a lowercase letter, then lowercase letters, digits, - or _, at most 32 characters" }).default("mailadmin"),
  adminCidrs: list(text(), "a list of CIDR blocks allowed to reach SSH").min(1, { error: "needs at least one CIDR block allowed to reach SSH" }),
  deployCidrs: list(text()).default([]),
  acknowledgeWideSshSources: flag().default(false),
  adminSshPublicKeys: list(text(), "a list of OpenSSH public keys for the admin user").min(1, { error: "needs at least one admin SSH public key" }),
  alertEmail: text("where ban notices and certificate alerts go"),
  cloudflareZoneId: text("the Cloudflare zone id of the tenant domain").regex(/^[0-9a-f]{32}$/, { error: "must be a Cloudflare zone id: 32 lowercase hexadecimal characters" }),
  dnsTtlSeconds: wholeNumber(60, 86400).default(3600),
  dmarc: z.strictObject({
    phase: oneOf(["monitor", "quarantine", "reject"]).default("monitor"),
    rua: reportUris.optional(),
    ruf: list(text()).max(maximumReportUris, { error: `lists more than ${maximumReportUris} report URIs` }).default([]),
    quarantineRollout: z.union([
      z.strictObject({ style: z.literal("pct"), percent: wholeNumber(1, 100) }),
      z.strictObject({ style: z.literal("testing") }),
    ], { error: "must be {style: pct, percent: 1-100} or {style: testing}" }).default({ style: "pct", percent: 10 }),
    adkim: oneOf(["r", "s"], "relaxed or strict").default("r"),
    aspf: oneOf(["r", "s"], "relaxed or strict").default("r"),
  }).default({ phase: "monitor", ruf: [], quarantineRollout: { style: "pct", percent: 10 }, adkim: "r", aspf: "r" }),
  spf: z.strictObject({
    all: oneOf(["softfail", "fail"], "~all or -all").default("softfail"),
    include: list(text()).max(8, { error: "lists more than 8 includes: SPF allows 10 DNS lookups in all (RFC 7208 4.6.4)" }).default([]),
  }).default({ all: "softfail", include: [] }),
  dkim: z.strictObject({
    selectors: list(text(), "the published DKIM selectors").min(1, { error: "needs at least one selector" }),
    active: text("the selector rspamd signs with"),
  }).optional(),
  mtaSts: z.strictObject({
    mode: oneOf(["testing", "enforce"]).default("testing"),
    maxAgeSeconds: wholeNumber(86400, mtaStsMaxAgeLimitSeconds, { below: "must be at least 86400 (one day)", above: `must be at most ${mtaStsMaxAgeLimitSeconds} (RFC 8461)` }).default(mtaStsDefaultMaxAgeSeconds),
  }).default({ mode: "testing", maxAgeSeconds: mtaStsDefaultMaxAgeSeconds }),
  tlsRpt: z.strictObject({ rua: reportUris.optional() }).default({}),
  caa: z.strictObject({ iodef: text().optional() }).default({}),
  limits: z.strictObject({
    recipientsPerHourPerAccount: wholeNumber(1, 100000).default(smtpLimits.recipientsPerHourPerAccount),
    recipientsPerMessage: wholeNumber(1, 1000).default(smtpLimits.recipientsPerMessageOnSubmission),
  }).default({ recipientsPerHourPerAccount: smtpLimits.recipientsPerHourPerAccount, recipientsPerMessage: smtpLimits.recipientsPerMessageOnSubmission }),
  acme: z.strictObject({
    directory: text().refine((d) => d === "letsencrypt" || d === "letsencrypt-staging" || /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/[\x21-\x7e]*$/.test(d), { error: "must be letsencrypt, letsencrypt-staging or an https:// ACME directory URL" }).default("letsencrypt"),
    keyType: oneOf(certificateKeyTypeNames as [CertificateKeyType, ...CertificateKeyType[]]).default(defaultCertificateKeyType),
    renewBeforeDays: wholeNumber(7, 60, { below: "must be at least 7: the expiry alerts start at 7 days", above: "must be at most 60: Let's Encrypt certificates last 90 days" }).default(certificateRenewBeforeDays),
    revokeOnDelete: flag().default(true),
    // A counter: raising it (after a key compromise, say) forces a certificate key rollover.
    keyRollover: wholeNumber(0, 1_000_000).default(0),
  }).default({ directory: "letsencrypt", keyType: defaultCertificateKeyType, renewBeforeDays: certificateRenewBeforeDays, revokeOnDelete: true, keyRollover: 0 }),
  [secretConfigKeys.acmeDnsApiToken]: text("a Cloudflare API token limited to DNS edit on the tenant zone (pulumi config set --secret)"),
  mailboxes: list(z.strictObject({
    address: text("the mailbox's address"),
    passwordHash: text("a Dovecot password hash"),
    quotaMegabytes: wholeNumber(1, maximumMailboxQuotaMegabytes).default(defaultMailboxQuotaMegabytes),
  }, { error: "must be {address, passwordHash, quotaMegabytes?}" })).max(1000, { error: "lists more than 1000 mailboxes" }).default([]),
  aliases: z.record(text(), text(), { error: (issue) => `must be a mapping of address: target address (got ${describeType(issue.input)})` }).default({}),
  tags: list(text().regex(/^[A-Za-z0-9:_-]{1,255}$/, { error: "must be a DigitalOcean tag: letters, digits, colon, dash, underscore" })).default([]),
});

const renamedKeys: Readonly<Record<string, string>> = {
  "limits.messagesPerHourPerAccount": "limits.recipientsPerHourPerAccount (the limit counts recipients: one message to 10 is 10)",
};

/** Names that would reach an object's prototype rather than the object. */
const prototypeKeys = new Set(["__proto__", "constructor", "prototype"]);

/** Formats a problem path as the key an operator types: `penguinmails-mail:dmarc.rua[0]`. */
export function configKey(path: readonly PropertyKey[]): string {
  let key = configNamespace + ":";
  path.forEach((part, i) => {
    if (typeof part === "number") key += `[${part}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(String(part))) key += (i === 0 ? "" : ".") + String(part);
    else key += `[${displayValue(String(part))}]`;
  });
  return key;
}

function describeZodIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => {
      const renamed = renamedKeys[[...issue.path, k].join(".")];
      return {
        key: configKey([...issue.path, k]),
        message: renamed ? `was renamed to ${renamed}` : "is not a known setting (check the spelling; see the README's config reference)",
      };
    });
  }
  if (issue.code === "invalid_type" && !/^(is required|must|needs)/.test(issue.message)) {
    return [{ key: configKey(issue.path), message: `must be ${issue.expected === "array" ? "a list" : `a ${issue.expected}`}` }];
  }
  if ((issue.code === "too_small" || issue.code === "too_big") && issue.origin === "number" && !issue.message.startsWith("must")) {
    return [{ key: configKey(issue.path), message: issue.code === "too_small" ? `must be at least ${String(issue.minimum)}` : `must be at most ${String(issue.maximum)}` }];
  }
  return [{ key: configKey(issue.path), message: issue.message }];
}

/** Keys anywhere in the raw config that would reach a prototype: refused, never ignored. */
function prototypeKeyProblems(value: unknown, path: PropertyKey[]): ConfigProblem[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => prototypeKeyProblems(item, [...path, i]));
  if (typeof value !== "object" || value === null) return [];
  return Object.keys(value).flatMap((key) =>
    prototypeKeys.has(key)
      ? [{ key: configKey([...path, key]), message: "is a reserved JavaScript property name, never a setting" }]
      : prototypeKeyProblems((value as Record<string, unknown>)[key], [...path, key]),
  );
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

/** Used when a tenant configures no selectors: a stable name, rotated by configuring new ones. */
export const defaultDkimSelector = "mail";

function adminUserProblem(user: unknown): string | undefined {
  if (typeof user !== "string") return undefined;
  if (reservedAccountNames.includes(user) || reservedAccountPatterns.some((pattern) => pattern.test(user))) {
    return `${displayValue(user)} is a system or daemon account; the admin user gets passwordless sudo, so it must be a person's own account (e.g. mailadmin)`;
  }
  return undefined;
}

/**
 * Validates one tenant's raw config (keys without the namespace, values as Pulumi hands them
 * over: strings, or parsed JSON for lists and objects). Reports every problem at once.
 */
export function parseTenantConfig(raw: Readonly<Record<string, unknown>>): TenantConfigResult {
  const problems: ConfigProblem[] = prototypeKeyProblems(raw, []);
  const notices: ConfigProblem[] = [];
  const parsed = problems.length > 0 ? undefined : rawTenantConfigSchema.safeParse(raw);
  if (parsed && !parsed.success) problems.push(...parsed.error.issues.flatMap(describeZodIssue));
  const input = parsed?.success ? parsed.data : undefined;

  const domainKey = configKey(["domain"]);
  let domain: string | undefined;
  if (typeof raw.domain === "string") {
    const normalized = normalizeMailDomain(raw.domain);
    problems.push(...normalized.errors.map((message) => ({ key: domainKey, message })));
    notices.push(...normalized.notices.map((message) => ({ key: domainKey, message })));
    domain = normalized.errors.length === 0 ? normalized.domain : undefined;
  }

  const userProblem = adminUserProblem(raw.adminUser);
  if (userProblem) problems.push({ key: configKey(["adminUser"]), message: userProblem });

  problems.push(
    ...sshSourceProblems(
      { adminCidrs: stringList(raw.adminCidrs), deployCidrs: stringList(raw.deployCidrs), acknowledgeWideSshSources: input?.acknowledgeWideSshSources ?? false },
      (listName, index) => configKey(index === undefined ? [listName] : [listName, index]),
    ),
  );

  const sshKeys: SshPublicKey[] = [];
  stringList(raw.adminSshPublicKeys).forEach((line, i) => {
    const key = parseSshPublicKey(line);
    if (key.ok) sshKeys.push(key.key);
    else problems.push({ key: configKey(["adminSshPublicKeys", i]), message: key.error });
  });

  if (typeof raw.alertEmail === "string") {
    const problem = mailAddressProblem(raw.alertEmail);
    if (problem) problems.push({ key: configKey(["alertEmail"]), message: `${displayValue(raw.alertEmail)} ${problem}` });
  }

  collectRecordProblems(raw, domain, problems, notices);
  const mailboxes = collectMailboxProblems(raw, domain, problems, notices);
  const aliases = collectAliasProblems(raw, domain, mailboxes, problems);

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
    acknowledgeWideSshSources: input.acknowledgeWideSshSources,
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
    acme: input.acme,
    mailboxes: input.mailboxes,
    aliases,
    tags: input.tags,
  };
  const routingProblems = collectRoutingProblems(config);
  if (routingProblems.length > 0) return { ok: false, problems: sortByKey(routingProblems), notices };
  return { ok: true, config, notices };
}

/** DNS records the config shapes: report URIs, SPF includes, DKIM selectors. */
function collectRecordProblems(raw: Readonly<Record<string, unknown>>, domain: string | undefined, problems: ConfigProblem[], notices: ConfigProblem[]): void {
  const mailtoList = (uris: readonly string[], path: PropertyKey[]) =>
    uris.forEach((uri, i) => {
      const problem = mailtoProblem(uri);
      if (problem) problems.push({ key: configKey([...path, i]), message: problem });
    });
  const dmarc = section(raw, "dmarc");
  const rua = stringList(dmarc.rua);
  mailtoList(rua, ["dmarc", "rua"]);
  mailtoList(stringList(dmarc.ruf), ["dmarc", "ruf"]);
  mailtoList(stringList(section(raw, "tlsRpt").rua), ["tlsRpt", "rua"]);
  const iodef = section(raw, "caa").iodef;
  if (typeof iodef === "string") {
    const problem = mailtoProblem(iodef);
    if (problem) problems.push({ key: configKey(["caa", "iodef"]), message: problem });
  }
  stringList(section(raw, "spf").include).forEach((include, i) => {
    const normalized = normalizeMailDomain(include);
    const key = configKey(["spf", "include", i]);
    if (normalized.errors.length > 0 || normalized.domain !== include) {
      problems.push({ key, message: `${displayValue(include)} must be a lowercase domain name such as _spf.provider.example` });
    } else if (domain && include === domain) {
      problems.push({ key, message: `${displayValue(include)} is the tenant domain itself: its SPF record would include itself in a loop (RFC 7208 4.6.4 counts it until the lookup limit fails it)` });
    }
  });
  const dkim = section(raw, "dkim");
  const selectors = stringList(dkim.selectors);
  selectors.forEach((selector, i) => {
    if (!isValidDkimSelector(selector) || selector !== selector.toLowerCase() || selector.includes(".")) {
      problems.push({ key: configKey(["dkim", "selectors", i]), message: `${displayValue(selector)} must be one lowercase DNS label (letters, digits, inner hyphens, at most 63 characters): it names a DNS record and a key file` });
    }
  });
  const lowered = selectors.map((s) => s.toLowerCase());
  const duplicates = [...new Set(lowered.filter((s, i) => lowered.indexOf(s) !== i))];
  if (duplicates.length > 0) problems.push({ key: configKey(["dkim", "selectors"]), message: `lists ${duplicates.map(displayValue).join(", ")} more than once (DNS names ignore case)` });
  if (typeof dkim.active === "string" && selectors.length > 0 && !selectors.includes(dkim.active)) {
    problems.push({ key: configKey(["dkim", "active"]), message: `${displayValue(dkim.active)} is not one of the published selectors (${selectors.map(displayValue).join(", ")}); publish a selector before signing with it` });
  }
  if (domain && rua.length > 0) {
    for (const ruaDomain of dmarcExternalReportDomains(domain, rua)) {
      notices.push({
        key: configKey(["dmarc", "rua"]),
        message: `reports go to ${ruaDomain}, which must publish TXT "v=DMARC1" at ${dmarcReportAuthorizationName(domain, ruaDomain)} or receivers will not send them`,
      });
    }
  }
}

/** A report URI: one mailto: address, and the address within the grammar every address keeps. */
function mailtoProblem(uri: string): string | undefined {
  const parsed = parseMailtoUri(uri);
  if ("error" in parsed) return parsed.error.replace(`"${uri}"`, displayValue(uri));
  const problem = mailAddressProblem(parsed.address);
  return problem ? `${displayValue(uri)}: the address ${problem}` : undefined;
}

function collectMailboxProblems(raw: Readonly<Record<string, unknown>>, domain: string | undefined, problems: ConfigProblem[], notices: ConfigProblem[]): string[] {
  const addresses: string[] = [];
  (Array.isArray(raw.mailboxes) ? raw.mailboxes : []).forEach((mailbox: unknown, i) => {
    if (typeof mailbox !== "object" || mailbox === null) return;
    const { address, passwordHash } = mailbox as Record<string, unknown>;
    if (typeof address === "string") {
      const key = configKey(["mailboxes", i, "address"]);
      const problem = mailAddressProblem(address);
      if (problem) problems.push({ key, message: `${displayValue(address)} ${problem}` });
      else if (domain && mailAddressDomain(address) !== domain) problems.push({ key, message: `${displayValue(address)} must be an address in ${domain}` });
      else if (addresses.includes(address)) problems.push({ key, message: `${displayValue(address)} is listed twice` });
      addresses.push(address);
    }
    if (typeof passwordHash === "string") {
      const verdict = judgePasswordHash(passwordHash);
      const key = configKey(["mailboxes", i, "passwordHash"]);
      if ("problem" in verdict) problems.push({ key, message: verdict.problem });
      else if (verdict.notice) notices.push({ key, message: verdict.notice });
    }
  });
  return addresses;
}

function collectAliasProblems(raw: Readonly<Record<string, unknown>>, domain: string | undefined, mailboxes: readonly string[], problems: ConfigProblem[]): MailAlias[] {
  const aliases: MailAlias[] = [];
  for (const [address, target] of Object.entries(section(raw, "aliases"))) {
    const key = configKey(["aliases", address]);
    if (typeof target !== "string") continue;
    const addressProblem = mailAddressProblem(address);
    const targetProblem = mailAddressProblem(target);
    if (addressProblem) problems.push({ key, message: `the alias ${displayValue(address)} ${addressProblem}` });
    else if (domain && mailAddressDomain(address) !== domain) problems.push({ key, message: `the alias ${displayValue(address)} must be an address in ${domain}` });
    else if (mailboxes.includes(address)) problems.push({ key, message: `${displayValue(address)} is a mailbox already; an address is a mailbox or an alias, not both` });
    else if (targetProblem) problems.push({ key, message: `the target ${displayValue(target)} ${targetProblem}` });
    else if (domain && mailAddressDomain(target) !== domain) problems.push({ key, message: `the target ${displayValue(target)} must be a mailbox or alias in ${domain}: an alias ends in one of the tenant's mailboxes` });
    else aliases.push({ address, target });
  }
  return aliases;
}

/** Every in-domain address the config names must end in a mailbox. */
function collectRoutingProblems(config: TenantConfig): ConfigProblem[] {
  const routing = mailRouting(config);
  const problems: ConfigProblem[] = [];
  const check = (address: string, key: string, options?: { explicitOnly?: boolean }) => {
    const problem = lostMailProblem(routing, address, config.domain, options);
    if (problem) problems.push({ key, message: `${displayValue(address)} ${problem}` });
  };
  // The alert address receives what the role addresses receive: it must be a mailbox of its own.
  check(config.alertEmail, configKey(["alertEmail"]), { explicitOnly: true });
  config.aliases.forEach((alias) => check(alias.address, configKey(["aliases", alias.address])));
  const mailto = (uri: string) => (uri.startsWith("mailto:") ? uri.slice("mailto:".length) : uri);
  config.dmarc.rua.forEach((uri, i) => check(mailto(uri), configKey(["dmarc", "rua", i])));
  config.dmarc.ruf.forEach((uri, i) => check(mailto(uri), configKey(["dmarc", "ruf", i])));
  config.tlsRpt.rua.forEach((uri, i) => check(mailto(uri), configKey(["tlsRpt", "rua", i])));
  check(mailto(config.caa.iodef), configKey(["caa", "iodef"]));
  return problems;
}
