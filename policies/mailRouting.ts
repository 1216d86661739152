/**
 * Policies that follow mail through the host's own tables: an address the stack publishes or
 * sends alerts to, in a domain a host bundle receives mail for, must end in a mailbox of that
 * host. Otherwise Postfix refuses it at RCPT (reports and ban notices are lost) or, with a
 * looser configuration, accepts and then bounces it to a possibly forged sender (backscatter).
 *
 * The tables are read from the bundle as it ships (Postfix's main.cf, virtual_mailbox_maps,
 * virtual_alias_maps) and resolved the way Postfix's virtual(5) resolves them, so the verdict
 * does not depend on how the tenant config was turned into files.
 */

import type { PolicyResource } from "@pulumi/policy";
import { isDmarcRecord, parseDmarc } from "../baseline/dns/dmarc";
import { parseMailtoUri } from "../baseline/dns/mailto";
import { isTlsRptRecord, parseTlsRpt } from "../baseline/dns/tlsRpt";
import { unpackHostBundle, type UnpackedBundleFile } from "../hostBundle/format/hostBundleArchive";
import { parsePostfixLookupTable, parsePostfixMainCf, postfixList, postfixTextTablePaths } from "../hostBundle/parsers/postfix";
import { describeResource, PreviewUnknowns, quote, type MailPolicy, type MailStackPolicy } from "./common";
import { dnsRecordTypes, normalizeRecordName, txtValue, type DnsRecordProps } from "./dns";
import { copyToRemoteType } from "./hostBundle";
import { analyzerAssetText } from "./pulumiInternals";

const postfixMainCfPath = "/etc/postfix/main.cf";
/** Postfix stops expanding aliases at virtual_alias_recursion_limit (1000); a real table needs a handful. */
const aliasDepthLimit = 100;

/** The mail a host bundle receives, as its Postfix tables say. */
interface HostedMail {
  readonly upload: PolicyResource;
  readonly domains: ReadonlySet<string>;
  readonly mailboxes: ReadonlyMap<string, string[]>;
  readonly aliases: ReadonlyMap<string, string[]>;
  /** recipient_delimiter: the characters that start an address extension (`user+tag@`). */
  readonly delimiters: string;
  readonly files: readonly UnpackedBundleFile[];
}

/** A table's entries merged over every file it lists; a listed file missing from the bundle is a problem. */
function readTables(files: readonly UnpackedBundleFile[], paths: readonly string[], problems: string[]): Map<string, string[]> {
  const merged = new Map<string, string[]>();
  for (const path of paths) {
    const file = files.find((candidate) => candidate.path === path);
    if (!file) {
      problems.push(`${path} is named in ${postfixMainCfPath} but not shipped`);
      continue;
    }
    for (const [key, value] of parsePostfixLookupTable(file.content)) if (!merged.has(key)) merged.set(key, value);
  }
  return merged;
}

function hostedMail(upload: PolicyResource, files: readonly UnpackedBundleFile[], problems: string[]): HostedMail | undefined {
  const mainCf = files.find((file) => file.path === postfixMainCfPath);
  if (!mainCf) return undefined;
  const main = parsePostfixMainCf(mainCf.content).settings;
  const domainItems = postfixList(main.get("virtual_mailbox_domains"), main);
  const domains = new Set(domainItems.filter((item) => !item.includes(":")).map((item) => item.toLowerCase()));
  for (const key of readTables(files, postfixTextTablePaths(domainItems.join(" ")), problems).keys()) domains.add(key);
  return {
    upload,
    domains,
    mailboxes: readTables(files, postfixTextTablePaths(main.get("virtual_mailbox_maps"), main), problems),
    aliases: readTables(files, postfixTextTablePaths(main.get("virtual_alias_maps"), main), problems),
    delimiters: main.get("recipient_delimiter") ?? "",
    files,
  };
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf("@") + 1).toLowerCase();

/** virtual(5)'s lookup order for `user+ext@domain`: the full address, without the extension, then `@domain`. */
function lookup(table: ReadonlyMap<string, string[]>, address: string, delimiters: string): string[] | undefined {
  const lower = address.toLowerCase();
  const at = lower.lastIndexOf("@");
  const local = lower.slice(0, at);
  const candidates = [lower];
  const cut = [...delimiters].map((d) => local.indexOf(d)).filter((i) => i > 0);
  if (cut.length > 0) candidates.push(`${local.slice(0, Math.min(...cut))}${lower.slice(at)}`);
  candidates.push(lower.slice(at));
  for (const candidate of candidates) {
    const found = table.get(candidate);
    if (found) return found;
  }
  return undefined;
}

/**
 * Why mail to `address` would not reach a mailbox of this host, or undefined when every copy of
 * it does (or leaves the host for a domain it does not receive mail for).
 */
function undeliverable(mail: HostedMail, address: string, path: readonly string[] = []): string | undefined {
  const self = address.toLowerCase();
  const via = path.length > 0 ? ` (reached through ${path.join(" -> ")})` : "";
  if (path.length >= aliasDepthLimit) return `aliases nest more than ${aliasDepthLimit} deep at ${address}${via}`;
  if (path.includes(self)) return `aliases loop at ${address}${via}`;
  const targets = lookup(mail.aliases, address, mail.delimiters);
  if (targets) {
    // virtual(5): a target equal to the address itself is final, every other one is expanded again.
    for (const target of targets) {
      const problem = target.toLowerCase() === self ? finalProblem(mail, address, via) : undeliverable(mail, target, [...path, self]);
      if (problem) return problem;
    }
    return undefined;
  }
  return finalProblem(mail, address, via);
}

/** An address no alias expands: delivered to a mailbox, sent away from the host, or refused. */
function finalProblem(mail: HostedMail, address: string, via: string): string | undefined {
  if (!mail.domains.has(domainOf(address))) return undefined;
  if (lookup(mail.mailboxes, address, mail.delimiters)) return undefined;
  return `${address}${via} is neither a mailbox nor an alias of one, so Postfix refuses it at RCPT`;
}

/** An address the stack names, and where it is named. */
interface NamedAddress {
  readonly address: string;
  readonly where: string;
  readonly resource: PolicyResource;
}

/** mailto: addresses of a URI list; other schemes (https: for TLS-RPT and iodef) are not mail. */
function mailtoAddresses(uris: readonly string[]): string[] {
  return uris.flatMap((uri) => {
    if (!/^mailto:/i.test(uri)) return [];
    const parsed = parseMailtoUri(uri.replace(/!\d+[kmgt]?$/i, ""));
    return "address" in parsed ? [parsed.address] : [];
  });
}

/** Report addresses of the stack's DMARC, TLS-RPT and CAA records (record-level policies judge their syntax). */
function reportAddresses(resources: readonly PolicyResource[], unknowns: PreviewUnknowns): NamedAddress[] {
  const named: NamedAddress[] = [];
  for (const resource of resources) {
    if (!dnsRecordTypes.includes(resource.type)) continue;
    unknowns.attempt(() => {
      const props = resource.props as DnsRecordProps;
      const name = normalizeRecordName(props.name);
      const kind = String(props.type ?? "").toUpperCase();
      const add = (label: string, addresses: string[]): void => {
        for (const address of addresses) named.push({ address, where: `the ${label} of ${describeResource(resource)} at ${quote(name)}`, resource });
      };
      if (kind === "CAA") {
        if (String(props.data?.tag ?? "").toLowerCase() === "iodef") add("CAA iodef", mailtoAddresses([String(props.data?.value ?? "")]));
        return;
      }
      if (kind !== "TXT") return;
      const txt = txtValue(props);
      if ("problem" in txt) return;
      if (isDmarcRecord(txt.value)) {
        const dmarc = parseDmarc(txt.value);
        add("DMARC rua", mailtoAddresses(dmarc.rua));
        add("DMARC ruf", mailtoAddresses(dmarc.ruf));
      } else if (isTlsRptRecord(txt.value)) {
        add("TLS-RPT rua", mailtoAddresses(parseTlsRpt(txt.value).rua));
      }
    });
  }
  return named;
}

/** Where the host itself sends alerts: fail2ban's ban notices and unattended-upgrades' reports. */
function alertAddresses(mail: HostedMail): NamedAddress[] {
  const named: NamedAddress[] = [];
  for (const file of mail.files) {
    const settings: Array<[RegExp, string]> = file.path.startsWith("/etc/fail2ban/")
      ? [[/^\s*destemail\s*=\s*(\S+)\s*$/gm, "fail2ban destemail"]]
      : file.path.startsWith("/etc/apt/apt.conf.d/")
        ? [[/^\s*Unattended-Upgrade::Mail\s+"([^"]+)"\s*;/gm, "Unattended-Upgrade::Mail"]]
        : [];
    for (const [pattern, label] of settings) {
      for (const match of file.content.matchAll(pattern)) {
        named.push({ address: match[1]!, where: `${label} in ${file.path}`, resource: mail.upload });
      }
    }
  }
  return named;
}

/**
 * The role addresses every receiving domain must accept: postmaster (RFC 5321 4.5.1) and abuse
 * (RFC 2142 2), where bounces, complaints and this project's own alerts arrive.
 */
const roleMailboxes = ["postmaster", "abuse"] as const;

export const reportAddressesDelivered: MailStackPolicy = {
  name: "report-addresses-delivered",
  description:
    "Every address in a domain a host bundle receives mail for, that the stack publishes (DMARC rua/ruf, TLS-RPT rua, CAA iodef) or sends alerts to " +
    "(fail2ban, unattended-upgrades), and postmaster@ and abuse@ of that domain, ends in a mailbox of that host.",
  enforcementLevel: "mandatory",
  rationale:
    "An address without a mailbox is refused at RCPT: DMARC and TLS-RPT reports never arrive (a DMARC rollout without them is blind), ban notices and " +
    "upgrade reports are lost, and RFC 5321 4.5.1 requires postmaster@ of every domain that receives mail. With a looser Postfix it is worse: accepted, " +
    "then bounced to a possibly forged sender (backscatter).",
  remediationSteps:
    "Add a mailbox for the address (penguinmails-mail:mailboxes) or an alias that ends in one (penguinmails-mail:aliases), or point the record or " +
    "penguinmails-mail:alertEmail at an address that has one.",
  validateStack: async (args, reportViolation) => {
    const unknowns = new PreviewUnknowns();
    const hosts: HostedMail[] = [];
    for (const resource of args.resources) {
      if (resource.type !== copyToRemoteType) continue;
      try {
        const text = await analyzerAssetText((resource.props as { source?: unknown }).source);
        const bundle = text === undefined ? undefined : await unpackHostBundle(text);
        if (!bundle) continue;
        const problems: string[] = [];
        const mail = hostedMail(resource, bundle.files, problems);
        for (const problem of problems) reportViolation(`${describeResource(resource)}: ${problem}. Fix: ship every table main.cf names.`, resource.urn);
        if (mail) hosts.push(mail);
      } catch (error) {
        unknowns.record(error);
      }
    }
    const named = reportAddresses(args.resources, unknowns);
    for (const mail of hosts) {
      named.push(...alertAddresses(mail));
      for (const domain of [...mail.domains].sort()) {
        for (const role of roleMailboxes) named.push({ address: `${role}@${domain}`, where: `a role address of ${quote(domain)}`, resource: mail.upload });
      }
    }
    for (const { address, where, resource } of named) {
      for (const mail of hosts) {
        if (!mail.domains.has(domainOf(address))) continue;
        const problem = undeliverable(mail, address);
        if (problem) reportViolation(`${address}, ${where}, ends in no mailbox of ${describeResource(mail.upload)}: ${problem}. Fix: add a mailbox or an alias that ends in one.`, resource.urn);
      }
    }
    unknowns.finish();
  },
};

export const mailRoutingPolicies: MailPolicy[] = [reportAddressesDelivered];
