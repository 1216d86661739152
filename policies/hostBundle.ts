/**
 * Policies for the host bundle: the self-extracting script a `command:remote:CopyToRemote` uploads
 * to a tenant's mail host (components/hostConfig/bundle/packHostBundle.ts). They judge the files
 * as they ship: the bundle's base64 ustar archive is unpacked here, in TypeScript, and Postfix,
 * Dovecot, nginx and nftables are read from their actual configuration text.
 *
 * A CopyToRemote whose source is not a host bundle (no data marker line) is not applicable.
 */

import type { PolicyConfigSchema, ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { parseCidr } from "../baseline/cidr";
import { allowedInboundPorts, portNumbers, sshPort } from "../baseline/network";
import { allowedTlsVersions, forbiddenCipherClasses, minimumTlsVersion } from "../baseline/tls";
import { policyConfig, type MailResourcePolicy } from "./common";

export const copyToRemoteType = "command:remote:CopyToRemote";

/** The line after which the bundle's base64 tar archive starts (packHostBundle's bundleDataMarker). */
export const hostBundleDataMarker = "__BUNDLE_DATA__";

const maximumPort = 65535;

// ------------------------------------------------------------------------------------------------
// Reading the bundle.

/** One host file of the bundle: its manifest entry and its content. */
export interface HostBundleFile {
  readonly path: string;
  readonly service: string;
  readonly content: string;
}

/** The regular files of a ustar archive: path -> content (utf8). */
export function parseUstar(archive: Buffer): Map<string, string> {
  const files = new Map<string, string>();
  const field = (block: Buffer, start: number, end: number): string => {
    const raw = block.subarray(start, end);
    const nul = raw.indexOf(0);
    return raw.subarray(0, nul < 0 ? raw.length : nul).toString("utf8");
  };
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const name = field(header, 0, 100);
    const prefix = field(header, 345, 500);
    const sizeText = field(header, 124, 136).trim();
    const size = sizeText === "" ? 0 : parseInt(sizeText, 8);
    if (!Number.isFinite(size) || size < 0) throw new Error(`tar entry "${name}" has an invalid size "${sizeText}"`);
    const type = String.fromCharCode(header[156] ?? 0);
    const start = offset + 512;
    if (start + size > archive.length) throw new Error(`tar entry "${name}" runs past the end of the archive`);
    if (type === "0" || type === "\0") files.set(prefix ? `${prefix}/${name}` : name, archive.subarray(start, start + size).toString("utf8"));
    offset = start + Math.ceil(size / 512) * 512;
  }
  return files;
}

// Three policies read every bundle: unpack each once (bounded, so a long-lived analyzer stays small).
const unpackedBundles = new Map<string, HostBundleFile[] | undefined>();
const unpackedBundlesLimit = 256;

/** The files a packed host bundle installs, or undefined when the text is not a host bundle. */
export function unpackHostBundleText(text: string): HostBundleFile[] | undefined {
  if (unpackedBundles.has(text)) return unpackedBundles.get(text);
  const files = unpackHostBundle(text);
  if (unpackedBundles.size >= unpackedBundlesLimit) unpackedBundles.delete(unpackedBundles.keys().next().value as string);
  unpackedBundles.set(text, files);
  return files;
}

function unpackHostBundle(text: string): HostBundleFile[] | undefined {
  const marker = `\n${hostBundleDataMarker}\n`;
  const at = text.indexOf(marker);
  if (at < 0) return undefined;
  const archive = parseUstar(Buffer.from(text.slice(at + marker.length), "base64"));
  const manifestText = archive.get("manifest.json");
  if (manifestText === undefined) throw new Error("the host bundle has no manifest.json");
  const manifest = JSON.parse(manifestText) as { files?: Array<{ path?: unknown; service?: unknown }> };
  return (manifest.files ?? []).map((entry) => {
    const path = String(entry.path);
    const content = archive.get(`files${path}`);
    if (content === undefined) throw new Error(`the host bundle's manifest lists ${path}, which its archive does not hold`);
    return { path, service: String(entry.service ?? ""), content };
  });
}

/** @pulumi/policy's property proxy (internal to the package, as in common.ts). */
const policyProxy = require("@pulumi/policy/proxy") as { isSpecialProxy: string; getSpecialProxyTarget: string };

/** The object behind the analyzer's unknown-checking proxy: a proxied Promise cannot be awaited. */
function unproxied(value: unknown): unknown {
  if (typeof value === "object" && value !== null && (value as Record<string, unknown>)[policyProxy.isSpecialProxy] === true) {
    return unproxied((value as Record<string, unknown>)[policyProxy.getSpecialProxyTarget]);
  }
  return value;
}

/**
 * The text of an asset as a policy receives it: a StringAsset whose `text` is a string or a
 * Promise of one (the analyzer deserializes the wire's text into `new StringAsset(text)`).
 */
async function assetText(source: unknown): Promise<string | undefined> {
  if (typeof source !== "object" || source === null) return undefined;
  const text = await unproxied((source as { text?: unknown }).text);
  return typeof text === "string" ? text : undefined;
}

type BundleCheck<TConfig> = (files: readonly HostBundleFile[], config: TConfig, report: (message: string) => void) => void;

/** A validation for CopyToRemote resources whose source is a host bundle. */
function validateHostBundle<TConfig extends object>(schema: PolicyConfigSchema, check: BundleCheck<TConfig>): ResourceValidation {
  const validation: ResourceValidation & { __pulumiType?: string } = async (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (args.type !== copyToRemoteType) args.notApplicable(`Policy only applies to resources of type '${copyToRemoteType}'`);
    const source = (args.props as { source?: unknown }).source;
    const text = await assetText(source);
    const files = text === undefined ? undefined : unpackHostBundleText(text);
    if (!files) args.notApplicable("Policy only applies to CopyToRemote resources that upload a host bundle");
    const config = policyConfig<TConfig>(schema, args);
    check(files!, config, (message) => reportViolation(message));
  };
  validation.__pulumiType = copyToRemoteType;
  return validation;
}

// ------------------------------------------------------------------------------------------------
// Configuration syntaxes.

/** Postfix main.cf: `name = value`, continuation lines start with whitespace, comments on their own line. */
export function parsePostfixMainCf(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line) || line.trim() === "") {
      current = undefined;
      continue;
    }
    if (/^\s/.test(line) && current !== undefined) {
      params.set(current, `${params.get(current)} ${line.trim()}`.trim());
      continue;
    }
    const match = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (match) {
      current = match[1]!;
      params.set(current, match[2]!.trim());
    }
  }
  return params;
}

/** A master.cf service: its name, type, command and `-o name=value` overrides. */
export interface PostfixService {
  readonly name: string;
  readonly type: string;
  readonly command: string;
  readonly overrides: Map<string, string>;
}

export function parsePostfixMasterCf(text: string): PostfixService[] {
  const services: Array<{ name: string; type: string; command: string; overrides: Map<string, string>; args: string[] }> = [];
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line) || line.trim() === "") continue;
    const words = line.trim().split(/\s+/);
    if (/^\s/.test(line)) {
      services.at(-1)?.args.push(...words);
      continue;
    }
    services.push({ name: words[0]!, type: words[1] ?? "", command: words[7] ?? "", overrides: new Map(), args: words.slice(8) });
  }
  for (const service of services) {
    for (let i = 0; i < service.args.length; i++) {
      const arg = service.args[i]!;
      const value = arg === "-o" ? service.args[++i] : arg.startsWith("-o") ? arg.slice(2) : undefined;
      if (value === undefined) continue;
      const eq = value.indexOf("=");
      if (eq > 0) service.overrides.set(value.slice(0, eq), value.slice(eq + 1));
    }
  }
  return services.map(({ name, type, command, overrides }) => ({ name, type, command, overrides }));
}

/** Postfix list items: separated by commas and whitespace, `$name` / `${name}` expanded from main.cf. */
function postfixList(value: string, main: ReadonlyMap<string, string>, depth = 0): string[] {
  const items = value.split(/[\s,]+/).filter((item) => item !== "");
  return items.flatMap((item) => {
    const ref = /^\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))$/.exec(item);
    if (ref && depth < 10) {
      const name = ref[1] ?? ref[2]!;
      return postfixList(main.get(name) ?? "", main, depth + 1);
    }
    return [item];
  });
}

/** Every smtpd listener: the main.cf settings with each master.cf service's overrides applied. */
function smtpdListeners(main: ReadonlyMap<string, string>, master: readonly PostfixService[] | undefined): Array<{ label: string; params: Map<string, string>; overridden: ReadonlySet<string> }> {
  const smtpd = (master ?? []).filter((service) => service.command === "smtpd" && service.type === "inet");
  if (smtpd.length === 0) return [{ label: "main.cf", params: new Map(main), overridden: new Set() }];
  return smtpd.map((service) => ({
    label: `the ${service.name} listener (master.cf)`,
    params: new Map([...main, ...service.overrides]),
    overridden: new Set(service.overrides.keys()),
  }));
}

const protocolOrder = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;

/** The protocol versions a Postfix `*_tls_protocols` value enables (`>=TLSv1.2`, `!SSLv2, !SSLv3`, or an explicit list). */
export function postfixEnabledProtocols(value: string): string[] {
  const items = value.split(/[\s,:]+/).filter((item) => item !== "");
  let enabled = new Set<string>(protocolOrder);
  const positives: string[] = [];
  for (const item of items) {
    const bound = /^(>=|<=)(.+)$/.exec(item);
    if (bound) {
      const index = protocolOrder.indexOf(bound[2] as (typeof protocolOrder)[number]);
      if (index < 0) continue;
      enabled = new Set([...enabled].filter((p) => (bound[1] === ">=" ? protocolOrder.indexOf(p as never) >= index : protocolOrder.indexOf(p as never) <= index)));
    } else if (item.startsWith("!")) {
      enabled.delete(item.slice(1));
    } else {
      positives.push(item);
    }
  }
  if (positives.length > 0) enabled = new Set([...enabled].filter((p) => positives.includes(p)));
  return protocolOrder.filter((p) => enabled.has(p));
}

const cipherClassAliases: Readonly<Record<string, string>> = {
  ADH: "aNULL",
  AECDH: "aNULL",
  aNULL: "aNULL",
  eNULL: "eNULL",
  NULL: "eNULL",
  COMPLEMENTOFALL: "eNULL",
  EXP: "EXPORT",
  EXPORT: "EXPORT",
  EXPORT40: "EXPORT",
  EXPORT56: "EXPORT",
  LOW: "DES",
  DES: "DES",
  "3DES": "3DES",
  RC4: "RC4",
  MD5: "MD5",
  PSK: "PSK",
  aPSK: "PSK",
  kPSK: "PSK",
  SRP: "SRP",
  aSRP: "SRP",
  kSRP: "SRP",
};

/** The forbidden-class names an explicit suite (e.g. `ADH-AES128-SHA`, `DES-CBC3-SHA`) belongs to. */
function suiteClasses(suite: string): string[] {
  const parts = suite.split("-");
  const classes: string[] = [];
  if (parts[0] === "ADH" || parts[0] === "AECDH" || suite.includes("anon")) classes.push("aNULL");
  if (parts.includes("NULL") || suite.includes("_NULL_") || suite.endsWith("_NULL")) classes.push("eNULL");
  if (parts[0]?.startsWith("EXP")) classes.push("EXPORT");
  if (/DES-CBC3|3DES/.test(suite)) classes.push("3DES");
  else if (/(^|[-_])DES([-_]|$)|DES-CBC/.test(suite)) classes.push("DES");
  if (suite.includes("RC4")) classes.push("RC4");
  if (/MD5$/.test(suite)) classes.push("MD5");
  if (suite.includes("PSK")) classes.push("PSK");
  if (suite.includes("SRP")) classes.push("SRP");
  return classes;
}

/**
 * The forbidden classes an OpenSSL cipher string may offer: an explicit suite of the class, the
 * class named without `!`, or a broad keyword (HIGH, ALL, DEFAULT, ...) without `!class` (or the
 * class among `excluded`, as Postfix's `*_exclude_ciphers` does).
 */
export function offeredForbiddenClasses(cipherString: string, forbidden: readonly string[], excluded: readonly string[] = []): string[] {
  const tokens = cipherString.split(/[\s:,]+/).filter((token) => token !== "");
  const negated = new Set([...excluded, ...tokens.filter((t) => t.startsWith("!")).map((t) => t.slice(1))].map((t) => cipherClassAliases[t] ?? t));
  const offered = new Set<string>();
  let broad = false;
  for (const token of tokens) {
    if (/^[!-]/.test(token) || token.startsWith("@")) continue;
    const bare = token.replace(/^\+/, "");
    for (const part of bare.split("+")) {
      const alias = cipherClassAliases[part];
      if (alias) offered.add(alias);
      else if (/[-_]/.test(part)) for (const c of suiteClasses(part)) offered.add(c);
      else broad = true;
    }
  }
  return forbidden.filter((c) => !negated.has(c) && (offered.has(c) || broad));
}

function versionRank(version: string): number {
  return protocolOrder.indexOf(version as (typeof protocolOrder)[number]);
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
      items: { type: "string", enum: [...protocolOrder] },
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

const nginxFile = (file: HostBundleFile): boolean => file.service === "nginx" || file.path.startsWith("/etc/nginx/");

/** nginx directives `name args;` outside comments, with the line they start on. */
function nginxDirectives(text: string, name: string): Array<{ line: number; args: string[] }> {
  const found: Array<{ line: number; args: string[] }> = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/#.*$/, "");
    for (const statement of line.split(/[;{}]/)) {
      const words = statement.trim().split(/\s+/);
      if (words[0] === name) found.push({ line: index + 1, args: words.slice(1) });
    }
  });
  return found;
}

export function checkTlsListeners(files: readonly HostBundleFile[], config: TlsListenersConfig, report: (message: string) => void): void {
  const allowed = config.allowedTlsVersions;
  const allowedText = allowed.join(", ");
  const classesText = config.forbiddenCipherClasses.join(", ");
  const tooOld = (versions: readonly string[]) => versions.filter((v) => !allowed.includes(v));

  const mainCf = files.find((f) => f.path === "/etc/postfix/main.cf");
  const masterCf = files.find((f) => f.path === "/etc/postfix/master.cf");
  if (mainCf) {
    const main = parsePostfixMainCf(mainCf.content);
    const master = masterCf ? parsePostfixMasterCf(masterCf.content) : [];
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
    for (const listener of smtpdListeners(main, master)) {
      const { params } = listener;
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

  for (const file of files.filter((f) => f.service === "dovecot" || f.path.startsWith("/etc/dovecot/"))) {
    const settings = parsePostfixMainCf(file.content.replace(/^(\s*)([A-Za-z_]+)\s*=/gm, "$2 ="));
    const ssl = settings.get("ssl");
    if (ssl === undefined || ssl === "no") continue;
    const min = settings.get("ssl_min_protocol");
    if (min === undefined) report(`${file.path}: ssl = ${ssl} but ssl_min_protocol is not set. Fix: set ssl_min_protocol = ${minimumTlsVersion}.`);
    else if (min !== "LATEST" && (min === "ANY" || versionRank(min) < 0 || tooOld(protocolOrder.filter((v) => versionRank(v) >= versionRank(min))).length > 0)) {
      report(`${file.path}: ssl_min_protocol = ${min} lets clients negotiate below ${allowed[0]} (allowed: ${allowedText}). Fix: set ssl_min_protocol = ${minimumTlsVersion}.`);
    }
    const ciphers = settings.get("ssl_cipher_list");
    const offered = offeredForbiddenClasses(ciphers ?? "ALL", config.forbiddenCipherClasses);
    if (offered.length > 0) report(`${file.path}: ssl_cipher_list ${ciphers === undefined ? "is not set, so the default" : `= ${ciphers}`} offers ${offered.join(", ")}. Fix: list explicit strong suites, or exclude ${classesText} with "!".`);
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

export function checkSmtpAuthAndRelay(files: readonly HostBundleFile[], config: SmtpAuthRelayConfig, report: (message: string) => void): void {
  const mainCf = files.find((f) => f.path === "/etc/postfix/main.cf");
  if (!mainCf) return;
  const masterCf = files.find((f) => f.path === "/etc/postfix/master.cf");
  const main = parsePostfixMainCf(mainCf.content);
  const master = masterCf ? parsePostfixMasterCf(masterCf.content) : [];
  const allowedPermits = config.permitsBeforeRelayCheck;

  const authOnly = main.get("smtpd_tls_auth_only");
  if (authOnly !== "yes") {
    report(`${mainCf.path}: smtpd_tls_auth_only = ${authOnly ?? "(unset, default no)"} lets a client send its password before STARTTLS. Fix: set smtpd_tls_auth_only = yes.`);
  }
  for (const service of master) {
    const value = service.overrides.get("smtpd_tls_auth_only");
    if (value !== undefined && value !== "yes") report(`${masterCf!.path}: the ${service.name} service overrides smtpd_tls_auth_only=${value}. Fix: remove the override.`);
  }

  for (const listener of smtpdListeners(main, master)) {
    let closed = false;
    for (const parameter of ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"]) {
      const value = listener.params.get(parameter);
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
}


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
  },
};

/** The bodies of the chains that hook input, with their first line number. */
function inputChains(text: string): Array<{ name: string; lines: Array<{ line: number; text: string }> }> {
  const chains: Array<{ name: string; lines: Array<{ line: number; text: string }> }> = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*chain\s+(\S+)\s*\{/.exec(lines[i]!.replace(/#.*$/, ""));
    if (!open) continue;
    const body: Array<{ line: number; text: string }> = [];
    let depth = 1;
    let j = i + 1;
    for (; j < lines.length && depth > 0; j++) {
      const line = lines[j]!.replace(/#.*$/, "");
      depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
      if (depth > 0) body.push({ line: j + 1, text: line.trim() });
    }
    if (body.some((l) => /\bhook\s+input\b/.test(l.text))) chains.push({ name: open[1]!, lines: body });
    i = j - 1;
  }
  return chains;
}

type DportSpec = { ports: number[]; invalid: string[] };

function parseDport(spec: string): DportSpec {
  const items = spec.replace(/^\{|\}$/g, "").split(/[\s,]+/).filter((item) => item !== "");
  const ports: number[] = [];
  const invalid: string[] = [];
  for (const item of items) {
    const range = /^(\d+)-(\d+)$/.exec(item);
    if (/^\d+$/.test(item)) ports.push(Number(item));
    else if (range && Number(range[2]) - Number(range[1]) <= maximumPort) for (let p = Number(range[1]); p <= Number(range[2]); p++) ports.push(p);
    else invalid.push(item);
  }
  return { ports, invalid };
}

export function checkNftablesPorts(files: readonly HostBundleFile[], config: NftablesPortsConfig, report: (message: string) => void): void {
  const rulesets = files.filter((f) => f.service === "nftables" || f.path === "/etc/nftables.conf" || f.path.endsWith(".nft"));
  for (const file of rulesets) {
    for (const chain of inputChains(file.content)) {
      for (const { line, text } of chain.lines) {
        const where = `${file.path} line ${line} (chain ${chain.name})`;
        if (/\bpolicy\s+accept\b/.test(text)) report(`${where}: the input chain's policy is accept, which opens every port. Fix: policy drop; and accept only the allowed ports.`);
        if (!/\baccept\b/.test(text)) continue;
        const match = /\b(tcp|udp)\s+dport\s+(\{[^}]*\}|\S+)/.exec(text);
        if (!match) continue;
        const protocol = match[1] as "tcp" | "udp";
        const allowed = protocol === "tcp" ? config.allowedTcpPorts : config.allowedUdpPorts;
        const { ports, invalid } = parseDport(match[2]!);
        for (const item of invalid) report(`${where}: ${protocol} dport ${item} is not a port number this policy can judge. Fix: name allowed ports by number.`);
        for (const port of [...new Set(ports)]) {
          if (!allowed.includes(port)) {
            report(`${where}: accepts ${protocol} port ${port}, which is not allowed (${allowed.join(", ") || "none"}). Fix: remove the rule or the port.`);
          } else if (protocol === "tcp" && port === config.sshPort && !/\b(ip|ip6)\s+saddr\b/.test(text)) {
            report(`${where}: accepts SSH (tcp port ${port}) from any source. Fix: restrict it with ip saddr @ssh_sources_v4 / ip6 saddr @ssh_sources_v6.`);
          }
        }
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

export const hostBundlePolicies: readonly MailResourcePolicy[] = [hostBundleTlsListeners, hostBundleSmtpAuthAndRelay, hostBundleNftablesPorts];
