/**
 * Policies for the host bundle: the self-extracting script a `command:remote:CopyToRemote` uploads
 * to a tenant's mail host. They judge the files as they ship, unpacked with the same module that
 * packed them (hostBundle/format/hostBundleArchive.ts) and read with the parsers the renderer
 * tests use (hostBundle/parsers/).
 *
 * A CopyToRemote whose source is not a host bundle (no data marker line) is not applicable.
 */

import type { PolicyConfigSchema, ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { coveredAddressCounts, ipv4TranslationRangeOf, parseCidr, type Cidr } from "../baseline/cidr";
import { allowedInboundPorts, portNumbers, sshPort, sshSourceAddressLimit } from "../baseline/network";
import { allowedTlsVersions, forbiddenCipherClasses, minimumTlsVersion } from "../baseline/tls";
import { unpackHostBundle, type UnpackedBundleFile } from "../hostBundle/format/hostBundleArchive";
import { parseDovecotConf } from "../hostBundle/parsers/dovecot";
import { fail2banActionArguments, fail2banTicketTags, parseFail2banConfig, shellPlaceholders } from "../hostBundle/parsers/fail2ban";
import { nftablesChains, nftablesPorts, nftablesSets, nftablesSourceAddresses } from "../hostBundle/parsers/nftables";
import { nginxDirectives } from "../hostBundle/parsers/nginx";
import { parseUnboundConf, unboundOption } from "../hostBundle/parsers/unbound";
import { offeredForbiddenClasses } from "../hostBundle/parsers/opensslCipherString";
import {
  parsePostfixMainCf,
  parsePostfixMasterCf,
  postfixEnabledProtocols,
  postfixList,
  postfixSmtpdListeners,
  tlsProtocolOrder,
} from "../hostBundle/parsers/postfix";
import { policyConfig, type MailResourcePolicy } from "./common";
import { analyzerAssetText } from "./pulumiInternals";

export const copyToRemoteType = "command:remote:CopyToRemote";

const maximumPort = 65535;

type BundleCheck<TConfig> = (files: readonly UnpackedBundleFile[], config: TConfig, report: (message: string) => void) => void;

/** A validation for CopyToRemote resources whose source is a host bundle. */
function validateHostBundle<TConfig extends object>(schema: PolicyConfigSchema, check: BundleCheck<TConfig>): ResourceValidation {
  const validation: ResourceValidation & { __pulumiType?: string } = async (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (args.type !== copyToRemoteType) args.notApplicable(`Policy only applies to resources of type '${copyToRemoteType}'`);
    const text = await analyzerAssetText((args.props as { source?: unknown }).source);
    const bundle = text === undefined ? undefined : await unpackHostBundle(text);
    if (!bundle) return args.notApplicable("Policy only applies to CopyToRemote resources that upload a host bundle");
    check(bundle.files, policyConfig<TConfig>(schema, args), (message) => reportViolation(message));
  };
  validation.__pulumiType = copyToRemoteType;
  return validation;
}

// ------------------------------------------------------------------------------------------------
// host-bundle-tls-listeners

interface TlsListenersConfig {
  allowedTlsVersions: string[];
  forbiddenCipherClasses: string[];
}

const tlsListenersSchema: PolicyConfigSchema = {
  properties: {
    allowedTlsVersions: {
      type: "array",
      items: { type: "string", enum: [...tlsProtocolOrder] },
      uniqueItems: true,
      minItems: 1,
      default: [...allowedTlsVersions],
      description: `Protocol versions a listener may offer (the baseline's minimum is ${minimumTlsVersion}).`,
    },
    forbiddenCipherClasses: {
      type: "array",
      items: { type: "string" },
      uniqueItems: true,
      default: [...forbiddenCipherClasses],
      description: "OpenSSL cipher classes no listener may offer.",
    },
  },
};

const postfixProtocolParameters = ["smtpd_tls_protocols", "smtpd_tls_mandatory_protocols", "smtp_tls_protocols", "smtp_tls_mandatory_protocols"] as const;

const nginxFile = (file: UnpackedBundleFile): boolean => file.service === "nginx" || file.path.startsWith("/etc/nginx/");

export function checkTlsListeners(files: readonly UnpackedBundleFile[], config: TlsListenersConfig, report: (message: string) => void): void {
  const allowed = config.allowedTlsVersions;
  const allowedText = allowed.join(", ");
  const classesText = config.forbiddenCipherClasses.join(", ");
  const tooOld = (versions: readonly string[]) => versions.filter((v) => !allowed.includes(v));

  const mainCf = files.find((f) => f.path === "/etc/postfix/main.cf");
  const masterCf = files.find((f) => f.path === "/etc/postfix/master.cf");
  if (mainCf) {
    const main = parsePostfixMainCf(mainCf.content).settings;
    const master = masterCf ? parsePostfixMasterCf(masterCf.content).services : [];
    for (const parameter of postfixProtocolParameters) {
      const value = main.get(parameter);
      if (value === undefined || value.trim() === "") {
        report(`${mainCf.path}: ${parameter} is not set, so Postfix's default (which still enables TLSv1 and TLSv1.1) applies. Fix: set ${parameter} = >=${minimumTlsVersion}.`);
        continue;
      }
      const bad = tooOld(postfixEnabledProtocols(postfixList(value, main).join(" ")));
      if (bad.length > 0) report(`${mainCf.path}: ${parameter} = ${value} enables ${bad.join(", ")} (allowed: ${allowedText}). Fix: set ${parameter} = >=${minimumTlsVersion}.`);
    }
    for (const service of master) {
      for (const [parameter, value] of service.overrides) {
        if (!/_tls_(mandatory_)?protocols$/.test(parameter)) continue;
        const bad = tooOld(postfixEnabledProtocols(postfixList(value, main).join(" ")));
        if (bad.length > 0) report(`${masterCf!.path}: the ${service.name} service's -o ${parameter}=${value} enables ${bad.join(", ")} (allowed: ${allowedText}). Fix: remove the override or make it >=${minimumTlsVersion}.`);
      }
    }
    for (const listener of postfixSmtpdListeners(main, master)) {
      const params = listener.settings;
      const excluded = postfixList(params.get("smtpd_tls_exclude_ciphers") ?? "", main);
      for (const mandatory of [false, true]) {
        const gradeParameter = mandatory ? "smtpd_tls_mandatory_ciphers" : "smtpd_tls_ciphers";
        const grade = (params.get(gradeParameter) ?? "medium").trim() || "medium";
        const listParameter = `tls_${grade}_cipherlist`;
        const excludedHere = mandatory ? [...excluded, ...postfixList(params.get("smtpd_tls_mandatory_exclude_ciphers") ?? "", main)] : excluded;
        // Postfix's built-in grade lists are broad keywords (aNULL:-aNULL:HIGH:...): judged as "ALL".
        const cipherlist = grade === "null" ? "eNULL" : (params.get(listParameter) ?? "ALL");
        const offered = offeredForbiddenClasses(postfixList(cipherlist, main).join(":"), config.forbiddenCipherClasses, excludedHere);
        if (offered.length > 0) {
          report(
            `${listener.label}: ${gradeParameter} = ${grade} (${listParameter}) with smtpd_tls_exclude_ciphers = ${excluded.join(", ") || "(none)"} still offers ${offered.join(", ")}. ` +
              `Fix: list ${classesText} in smtpd_tls_exclude_ciphers (or keep ${listParameter} to explicit strong suites).`,
          );
        }
      }
    }
  }

  const rank = (version: string): number => tlsProtocolOrder.indexOf(version as (typeof tlsProtocolOrder)[number]);
  for (const file of files.filter((f) => f.service === "dovecot" || f.path.startsWith("/etc/dovecot/"))) {
    const conf = parseDovecotConf(file.content);
    const ssl = conf.topLevel.get("ssl");
    if (!conf.settings.some((s) => s.name === "ssl" && s.value !== "no")) continue;
    const where = (line: number, blocks: readonly string[]) => `${file.path} line ${line}${blocks.length > 0 ? ` (in ${blocks.join(" > ")})` : ""}`;
    if (!conf.topLevel.has("ssl_min_protocol")) report(`${file.path}: ssl = ${ssl ?? "yes"} but ssl_min_protocol is not set. Fix: set ssl_min_protocol = ${minimumTlsVersion}.`);
    for (const setting of conf.settings.filter((s) => s.name === "ssl_min_protocol")) {
      const min = setting.value;
      if (min !== "LATEST" && (min === "ANY" || rank(min) < 0 || tooOld(tlsProtocolOrder.filter((v) => rank(v) >= rank(min))).length > 0)) {
        report(`${where(setting.line, setting.blocks)}: ssl_min_protocol = ${min} lets clients negotiate below ${allowed[0]} (allowed: ${allowedText}). Fix: set ssl_min_protocol = ${minimumTlsVersion}.`);
      }
    }
    const cipherSettings = conf.settings.filter((s) => s.name === "ssl_cipher_list");
    if (!conf.topLevel.has("ssl_cipher_list")) {
      const offered = offeredForbiddenClasses("ALL", config.forbiddenCipherClasses);
      if (offered.length > 0) report(`${file.path}: ssl_cipher_list is not set, so the default offers ${offered.join(", ")}. Fix: list explicit strong suites, or exclude ${classesText} with "!".`);
    }
    for (const setting of cipherSettings) {
      const offered = offeredForbiddenClasses(setting.value, config.forbiddenCipherClasses);
      if (offered.length > 0) report(`${where(setting.line, setting.blocks)}: ssl_cipher_list = ${setting.value} offers ${offered.join(", ")}. Fix: list explicit strong suites, or exclude ${classesText} with "!".`);
    }
  }

  for (const file of files.filter(nginxFile)) {
    for (const directive of nginxDirectives(file.content, "ssl_protocols")) {
      const bad = directive.args.filter((v) => !allowed.includes(v));
      if (bad.length > 0) report(`${file.path} line ${directive.line}: ssl_protocols ${directive.args.join(" ")} enables ${bad.join(", ")} (allowed: ${allowedText}). Fix: ssl_protocols ${allowed.join(" ")};.`);
    }
    for (const directive of nginxDirectives(file.content, "ssl_ciphers")) {
      const offered = offeredForbiddenClasses(directive.args.join(":"), config.forbiddenCipherClasses);
      if (offered.length > 0) report(`${file.path} line ${directive.line}: ssl_ciphers offers ${offered.join(", ")}. Fix: list explicit strong suites, or exclude ${classesText} with "!".`);
    }
    const listensTls = nginxDirectives(file.content, "listen").some((d) => d.args.includes("ssl"));
    if (listensTls && nginxDirectives(file.content, "ssl_protocols").length === 0) {
      report(`${file.path}: a TLS listener without ssl_protocols gets nginx's default, which on Debian 12 still enables TLSv1 and TLSv1.1. Fix: ssl_protocols ${allowed.join(" ")}; in each TLS server block.`);
    }
  }
}

export const hostBundleTlsListeners: MailResourcePolicy = {
  name: "host-bundle-tls-listeners",
  description: `Every TLS listener the host bundle configures (Postfix, Dovecot, nginx) offers only ${allowedTlsVersions.join(" and ")} and no anonymous or weak cipher class.`,
  enforcementLevel: "mandatory",
  configSchema: tlsListenersSchema,
  rationale:
    "TLS 1.0/1.1 and anonymous, export, DES, RC4 or MD5 suites are broken or deprecated (RFC 8996, RFC 7525); internet.nl and " +
    "MTA-STS/DANE peers fail a server that still offers them. The policy reads the configuration files as they ship in the " +
    "uploaded bundle, so a renderer change or hand edit cannot reintroduce them unnoticed.",
  remediationSteps:
    `Postfix: *_tls_protocols = >=${minimumTlsVersion}, smtpd_tls_exclude_ciphers listing ${forbiddenCipherClasses.join(", ")}; ` +
    `Dovecot: ssl_min_protocol = ${minimumTlsVersion}; nginx: ssl_protocols ${allowedTlsVersions.join(" ")}; with explicit ECDHE AEAD ssl_ciphers.`,
  validateResource: validateHostBundle<TlsListenersConfig>(tlsListenersSchema, checkTlsListeners),
};

// ------------------------------------------------------------------------------------------------
// host-bundle-smtp-auth-and-relay

interface SmtpAuthRelayConfig {
  permitsBeforeRelayCheck: string[];
}

const smtpAuthRelaySchema: PolicyConfigSchema = {
  properties: {
    permitsBeforeRelayCheck: {
      type: "array",
      items: { type: "string" },
      uniqueItems: true,
      default: ["permit_mynetworks", "permit_sasl_authenticated"],
      description: "The only permit_* restrictions allowed before reject_unauth_destination.",
    },
  },
};

/** Restrictions that end a list for every client not yet permitted. */
const closingRestrictions = ["reject_unauth_destination", "defer_unauth_destination", "reject", "defer"];

function isLoopback(entry: string): boolean {
  const text = entry.replace(/^\[([^\]]+)\](\/\d+)?$/, "$1$2");
  const parsed = parseCidr(text);
  if (!parsed.ok) return false;
  const { cidr } = parsed;
  if (cidr.family === 4) return cidr.prefixLength >= 8 && cidr.network.startsWith("127.");
  return cidr.prefixLength === 128 && cidr.network === "::1/128";
}

export function checkSmtpAuthAndRelay(files: readonly UnpackedBundleFile[], config: SmtpAuthRelayConfig, report: (message: string) => void): void {
  const mainCf = files.find((f) => f.path === "/etc/postfix/main.cf");
  if (!mainCf) return;
  const masterCf = files.find((f) => f.path === "/etc/postfix/master.cf");
  const main = parsePostfixMainCf(mainCf.content).settings;
  const master = masterCf ? parsePostfixMasterCf(masterCf.content).services : [];
  const allowedPermits = config.permitsBeforeRelayCheck;

  const authOnly = main.get("smtpd_tls_auth_only");
  if (authOnly !== "yes") {
    report(`${mainCf.path}: smtpd_tls_auth_only = ${authOnly ?? "(unset, default no)"} lets a client send its password before STARTTLS. Fix: set smtpd_tls_auth_only = yes.`);
  }
  for (const service of master) {
    const value = service.overrides.get("smtpd_tls_auth_only");
    if (value !== undefined && value !== "yes") report(`${masterCf!.path}: the ${service.name} service overrides smtpd_tls_auth_only=${value}. Fix: remove the override.`);
  }

  for (const listener of postfixSmtpdListeners(main, master)) {
    let closed = false;
    for (const parameter of ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"]) {
      const value = listener.settings.get(parameter);
      if (value === undefined) continue;
      const items = postfixList(value, main);
      if (items.some((item) => closingRestrictions.includes(item))) closed = true;
      for (const item of items) {
        if (closingRestrictions.includes(item)) break;
        if (/^permit(_|$)/.test(item) && !allowedPermits.includes(item)) {
          report(
            `${listener.label}: ${parameter} = ${items.join(", ")} has "${item}" before reject_unauth_destination, so it may relay for anyone (open relay). ` +
              `Fix: only ${allowedPermits.join(" or ")} may come before reject_unauth_destination.`,
          );
          break;
        }
      }
    }
    if (!closed) {
      report(`${listener.label}: neither smtpd_relay_restrictions nor smtpd_recipient_restrictions contains reject_unauth_destination. Fix: smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination.`);
    }
  }

  const mynetworks = main.get("mynetworks");
  if (mynetworks === undefined) {
    report(`${mainCf.path}: mynetworks is not set, so Postfix trusts the host's own networks (mynetworks_style). Fix: mynetworks = 127.0.0.0/8 [::1]/128.`);
  } else {
    const wide = postfixList(mynetworks, main).filter((entry) => !isLoopback(entry));
    if (wide.length > 0) report(`${mainCf.path}: mynetworks = ${mynetworks} trusts ${wide.join(", ")} beyond loopback. Fix: mynetworks = 127.0.0.0/8 [::1]/128.`);
  }
}

export const hostBundleSmtpAuthAndRelay: MailResourcePolicy = {
  name: "host-bundle-smtp-auth-and-relay",
  description: "Postfix in the host bundle accepts AUTH only inside TLS, relays only for authenticated users, and trusts only loopback (mynetworks).",
  enforcementLevel: "mandatory",
  configSchema: smtpAuthRelaySchema,
  rationale:
    "An open relay is blocklisted within hours and ruins the tenant's sending reputation; AUTH before STARTTLS sends passwords in " +
    "the clear; a wide mynetworks makes every host in it a relay client without a login.",
  remediationSteps:
    "main.cf: smtpd_tls_auth_only = yes; smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination; " +
    "mynetworks = 127.0.0.0/8 [::1]/128; no master.cf override that weakens them.",
  validateResource: validateHostBundle<SmtpAuthRelayConfig>(smtpAuthRelaySchema, checkSmtpAuthAndRelay),
};

// ------------------------------------------------------------------------------------------------
// host-bundle-nftables-ports

interface NftablesPortsConfig {
  allowedTcpPorts: number[];
  allowedUdpPorts: number[];
  sshPort: number;
  ipv4Prefix: number;
  ipv6Prefix: number;
}

const log2 = (value: bigint): number => value.toString(2).length - 1;


const nftablesPortsSchema: PolicyConfigSchema = {
  properties: {
    allowedTcpPorts: {
      type: "array",
      items: { type: "integer", minimum: 1, maximum: maximumPort },
      uniqueItems: true,
      default: portNumbers(allowedInboundPorts, "tcp"),
      description: "TCP ports the input chain may accept.",
    },
    allowedUdpPorts: {
      type: "array",
      items: { type: "integer", minimum: 1, maximum: maximumPort },
      uniqueItems: true,
      default: portNumbers(allowedInboundPorts, "udp"),
      description: "UDP ports the input chain may accept.",
    },
    sshPort: { type: "integer", minimum: 1, maximum: maximumPort, default: sshPort.port, description: "The port sshd listens on: accepted only with a saddr restriction." },
    ipv4Prefix: {
      type: "integer",
      minimum: 1,
      maximum: 32,
      default: 32 - log2(sshSourceAddressLimit.ipv4),
      description: "All SSH sources together may open no more IPv4 addresses than one block of this prefix length holds.",
    },
    ipv6Prefix: { type: "integer", minimum: 1, maximum: 128, default: 128 - log2(sshSourceAddressLimit.ipv6), description: "The same bound for IPv6." },
  },
};

export function checkNftablesPorts(files: readonly UnpackedBundleFile[], config: NftablesPortsConfig, report: (message: string) => void): void {
  const rulesets = files.filter((f) => f.service === "nftables" || f.path === "/etc/nftables.conf" || f.path.endsWith(".nft"));
  for (const file of rulesets) {
    const sets = nftablesSets(file.content);
    const sshSources: Cidr[] = [];
    for (const chain of nftablesChains(file.content).filter((c) => c.hook === "input")) {
      for (const { line, text } of chain.lines) {
        const where = `${file.path} line ${line} (chain ${chain.name})`;
        if (/\bpolicy\s+accept\b/.test(text)) report(`${where}: the input chain's policy is accept, which opens every port. Fix: policy drop; and accept only the allowed ports.`);
        if (!/\baccept\b/.test(text)) continue;
        const match = /\b(tcp|udp)\s+dport\s+(\{[^}]*\}|\S+)/.exec(text);
        if (!match) continue;
        const protocol = match[1] as "tcp" | "udp";
        const allowed = protocol === "tcp" ? config.allowedTcpPorts : config.allowedUdpPorts;
        const { ports, invalid } = nftablesPorts(match[2]!);
        for (const item of invalid) report(`${where}: ${protocol} dport ${item} is not a port number this policy can judge. Fix: name allowed ports by number.`);
        for (const port of [...new Set(ports)]) {
          if (!allowed.includes(port)) {
            report(`${where}: accepts ${protocol} port ${port}, which is not allowed (${allowed.join(", ") || "none"}). Fix: remove the rule or the port.`);
          } else if (protocol === "tcp" && port === config.sshPort) {
            const sources = nftablesSourceAddresses(text, sets);
            if (!sources) {
              report(`${where}: accepts SSH (tcp port ${port}) from any source. Fix: restrict it with ip saddr @ssh_sources_v4 / ip6 saddr @ssh_sources_v6.`);
              continue;
            }
            for (const source of sources) {
              const parsed = parseCidr(source);
              if (!parsed.ok) report(`${where}: SSH source ${source} is not an address or block this policy can judge. Fix: list the admin and deploy CIDRs.`);
              else if (ipv4TranslationRangeOf(parsed.cidr)) report(`${where}: SSH source ${source} overlaps ${ipv4TranslationRangeOf(parsed.cidr)}: IPv4 addresses reach SSH through it. Fix: list IPv4 sources as IPv4 blocks.`);
              else sshSources.push(parsed.cidr);
            }
          }
        }
      }
    }
    const counts = coveredAddressCounts(sshSources);
    for (const [family, bits, prefix, count] of [["IPv4", 32, config.ipv4Prefix, counts.ipv4], ["IPv6", 128, config.ipv6Prefix, counts.ipv6]] as const) {
      if (count > 2n ** BigInt(bits - prefix)) {
        report(`${file.path}: SSH is open to ${count} ${family} addresses in all, more than a /${prefix}. Fix: list only the admin and deploy CIDRs, or raise ${family === "IPv4" ? "ipv4Prefix" : "ipv6Prefix"} in this stack's policy config after review.`);
      }
    }
  }
}

export const hostBundleNftablesPorts: MailResourcePolicy = {
  name: "host-bundle-nftables-ports",
  description: `The host bundle's nftables input chain accepts only the baseline's inbound ports (${allowedInboundPorts.map((rule) => `${rule.port}/${rule.protocol}`).join(", ")}), SSH only from restricted sources.`,
  enforcementLevel: "mandatory",
  configSchema: nftablesPortsSchema,
  rationale:
    "The host firewall is the second layer behind the cloud firewall: if the cloud firewall is detached or misconfigured, nftables " +
    "alone decides what is reachable, so it must open no more than the baseline, and SSH never to the whole internet.",
  remediationSteps: "Remove the accept rule for the port, or (SSH) add an `ip saddr @ssh_sources_v4` / `ip6 saddr @ssh_sources_v6` match.",
  validateResource: validateHostBundle<NftablesPortsConfig>(nftablesPortsSchema, checkNftablesPorts),
};

// ------------------------------------------------------------------------------------------------
// host-bundle-ban-action-quoting

const fail2banActionDir = "/etc/fail2ban/action.d/";
const isJailFile = (path: string): boolean => path === "/etc/fail2ban/jail.local" || (path.startsWith("/etc/fail2ban/jail.d/") && /\.(conf|local)$/.test(path));

/** Why a value pasted raw into a single-quoted shell word (or an action option) is unsafe. */
function rawValueProblem(value: string): string | undefined {
  if (value === "") return "is empty";
  if (!/^[\x21-\x7e]+$/.test(value)) return "has whitespace, a control character or a non-ASCII character";
  const special = [...new Set(value.match(/['"\\%]/g) ?? [])];
  return special.length > 0 ? `has ${special.map((c) => JSON.stringify(c)).join(", ")}, which no quoting in the ban action survives` : undefined;
}

/** `%(name)s` resolved from the jail's section, then [DEFAULT] (configparser's order), a few levels deep. */
function interpolate(value: string, section: ReadonlyMap<string, string>, defaults: ReadonlyMap<string, string> | undefined, depth = 0): string {
  if (depth > 10) return value;
  return value.replace(/%\(([A-Za-z0-9_-]+)\)s/g, (whole, name: string) => {
    const found = section.get(name) ?? defaults?.get(name);
    return found === undefined ? whole : interpolate(found, section, defaults, depth + 1);
  });
}

function checkBanActionQuoting(files: readonly UnpackedBundleFile[], _config: object, report: (message: string) => void): void {
  for (const file of files.filter((f) => f.path.startsWith(fail2banActionDir))) {
    for (const [sectionName, section] of parseFail2banConfig(file.content)) {
      for (const [key, command] of section) {
        if (!key.startsWith("action")) continue;
        for (const placeholder of shellPlaceholders(command)) {
          const raw = placeholder.kind === "interpolation" || !fail2banTicketTags.has(placeholder.name);
          if (!raw || placeholder.quoting === "single") continue;
          report(
            `${file.path} [${sectionName}] ${key}: ${placeholder.text} is ${placeholder.quoting === "double" ? "in double quotes" : "unquoted"}, and fail2ban pastes it ` +
              `into the root shell command as raw text: a backtick or $( in its value runs on every ban. Fix: single-quote it ('${placeholder.text}') and refuse values with a single quote.`,
          );
        }
      }
    }
  }
  for (const file of files.filter((f) => isJailFile(f.path))) {
    const jail = parseFail2banConfig(file.content);
    const defaults = jail.get("DEFAULT");
    for (const [sectionName, section] of jail) {
      const values: Array<[string, string]> = [];
      for (const key of ["destemail", "sender"]) {
        const value = section.get(key);
        if (value !== undefined) values.push([key, interpolate(value, section, defaults)]);
      }
      for (const entry of fail2banActionArguments(section.get("action") ?? "")) {
        for (const [name, value] of entry.arguments) values.push([`action ${entry.action}[${name}]`, interpolate(value, section, defaults)]);
      }
      for (const [key, value] of values) {
        const problem = rawValueProblem(value);
        if (problem) report(`${file.path} [${sectionName}] ${key} = ${JSON.stringify(value)} ${problem}. Fix: use an address of letters, digits and . _ + - only.`);
      }
    }
  }
}

export const hostBundleBanActionQuoting: MailResourcePolicy = {
  name: "host-bundle-ban-action-quoting",
  description: "The host bundle's fail2ban actions single-quote every value fail2ban pastes into their shell commands, and the jails give them no value that can break the quoting.",
  enforcementLevel: "mandatory",
  rationale:
    "fail2ban runs actions as root through the shell and pastes static tags (<dest>, <sender>, <name>) and %(...)s values raw; only ban-ticket values " +
    "(<ip>, <matches>, ...) are passed as shell variables. An alert address with a backtick or $( in a double-quoted or unquoted tag runs as root " +
    "whenever anyone on the internet fails five logins.",
  remediationSteps: "Write '<dest>' and '<sender>' in single quotes in every action command, and keep quotes, backslashes, % and whitespace out of the jail's values.",
  validateResource: validateHostBundle<object>({ properties: {} }, checkBanActionQuoting),
};

// ------------------------------------------------------------------------------------------------
// host-bundle-resolver-pinned

const resolvConfPath = "/etc/resolv.conf";
const unboundConfPath = "/etc/unbound/unbound.conf";
const isLoopbackAddress = (address: string): boolean => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === "::1";

/** Whether Postfix's SMTP client believes DNSSEC (DANE) answers, and where it says so. */
function postfixTrustsDnssec(files: readonly UnpackedBundleFile[]): string | undefined {
  const mainCf = files.find((file) => file.path === "/etc/postfix/main.cf");
  if (!mainCf) return undefined;
  const main = parsePostfixMainCf(mainCf.content).settings;
  const masterCf = files.find((file) => file.path === "/etc/postfix/master.cf");
  const settings = [main, ...(masterCf ? parsePostfixMasterCf(masterCf.content).services.map((service) => service.overrides) : [])];
  for (const set of settings) {
    const level = set.get("smtp_tls_security_level");
    if (level === "dane" || level === "dane-only") return `smtp_tls_security_level = ${level}`;
    if (set.get("smtp_dns_support_level") === "dnssec") return "smtp_dns_support_level = dnssec";
  }
  return undefined;
}

function checkResolverPinned(files: readonly UnpackedBundleFile[], _config: object, report: (message: string) => void): void {
  const dnssec = postfixTrustsDnssec(files);
  if (!dnssec) return;
  const why = `Postfix (${dnssec}) believes the AD bit of the resolver ${resolvConfPath} names`;
  const unbound = files.find((file) => file.path === unboundConfPath);
  const conf = unbound ? parseUnboundConf(unbound.content) : undefined;
  if (!conf) {
    report(`${why}, and the bundle ships no ${unboundConfPath}: nothing validates on this host. Fix: ship the validating unbound.`);
  } else {
    const anchors = ["auto-trust-anchor-file", "trust-anchor-file", "trust-anchor"].flatMap((name) => unboundOption(conf, "server", name));
    if (anchors.length === 0) report(`${unboundConfPath}: no trust anchor (auto-trust-anchor-file), so unbound validates nothing. Fix: auto-trust-anchor-file: "/var/lib/unbound/root.key".`);
    const modules = unboundOption(conf, "server", "module-config");
    if (modules.length > 0 && !/\bvalidator\b/.test(modules.at(-1)!)) report(`${unboundConfPath}: module-config "${modules.at(-1)}" has no validator. Fix: remove module-config or include validator.`);
    if (unboundOption(conf, "server", "val-permissive-mode").at(-1) === "yes") report(`${unboundConfPath}: val-permissive-mode: yes passes bogus answers on. Fix: remove it.`);
  }
  const resolvConf = files.find((file) => file.path === resolvConfPath);
  if (!resolvConf) {
    report(`${why}, and the bundle does not ship ${resolvConfPath}: a droplet keeps its provider's resolvers there. Fix: ship ${resolvConfPath} naming only the local unbound.`);
  } else {
    const lines = resolvConf.content.split("\n").map((line) => line.replace(/[#;].*$/, "").trim());
    const nameservers = lines.flatMap((line) => /^nameserver\s+(\S+)$/.exec(line)?.[1] ?? []);
    const listening = conf ? unboundOption(conf, "server", "interface").map((value) => value.replace(/@\d+$/, "")) : [];
    const listens = listening.length > 0 ? listening : ["127.0.0.1", "::1"];
    const foreign = nameservers.filter((address) => !isLoopbackAddress(address) || !listens.includes(address));
    if (nameservers.length === 0) report(`${resolvConfPath} names no nameserver, so glibc asks 127.0.0.1:53 only by accident. Fix: nameserver ${listens[0]}.`);
    if (foreign.length > 0) report(`${resolvConfPath}: nameserver ${foreign.join(", ")} is not the local validating unbound (${listens.join(", ")}): ${why}. Fix: name only the local unbound.`);
    const options = lines.flatMap((line) => (/^options\s+(.*)$/.exec(line)?.[1] ?? "").split(/\s+/)).filter((option) => option !== "");
    if (!options.includes("trust-ad")) report(`${resolvConfPath} has no "options trust-ad": glibc clears the AD bit before Postfix sees it, and DANE never engages. Fix: options edns0 trust-ad.`);
  }
  const cloudInitKeepsOff = files.some((file) => file.path.startsWith("/etc/cloud/cloud.cfg.d/") && /^manage_resolv_conf:\s*false\s*$/m.test(file.content));
  if (!cloudInitKeepsOff) report(`no /etc/cloud/cloud.cfg.d/ file sets manage_resolv_conf: false: cloud-init may write the provider's resolvers back. Fix: ship the drop-in.`);
  const dhclientKeepsOff = files.some((file) => file.path.startsWith("/etc/dhcp/dhclient-enter-hooks.d/") && /^make_resolv_conf\(\)\s*\{/m.test(file.content));
  if (!dhclientKeepsOff) report(`no /etc/dhcp/dhclient-enter-hooks.d/ hook replaces make_resolv_conf: a DHCP lease renewal rewrites ${resolvConfPath}. Fix: ship the hook.`);
}

export const hostBundleResolverPinned: MailResourcePolicy = {
  name: "host-bundle-resolver-pinned",
  description: "When Postfix in the host bundle uses DANE, the host's resolv.conf names only the local validating unbound (with trust-ad), and cloud-init and DHCP are kept from rewriting it.",
  enforcementLevel: "mandatory",
  rationale:
    "Postfix's DANE (smtp_dns_support_level = dnssec) trusts the AD bit of whatever resolver resolv.conf names. On a droplet that is the provider's resolver " +
    "across the network unless the bundle pins the local validating unbound: an on-path attacker could then forge TLSA answers or strip them, and DANE " +
    "protects nothing.",
  remediationSteps: "Ship /etc/resolv.conf with `nameserver 127.0.0.1` and `options edns0 trust-ad`, unbound with a root trust anchor, a cloud.cfg.d drop-in with manage_resolv_conf: false and a dhclient enter hook that replaces make_resolv_conf.",
  validateResource: validateHostBundle<object>({ properties: {} }, checkResolverPinned),
};

export const hostBundlePolicies: readonly MailResourcePolicy[] = [
  hostBundleTlsListeners,
  hostBundleSmtpAuthAndRelay,
  hostBundleNftablesPorts,
  hostBundleBanActionQuoting,
  hostBundleResolverPinned,
];
