/** SPF records (RFC 7208): builder, parser and the baseline's validator. */

import { isIPv4, isIPv6 } from "node:net";
import { maximumDnsLabelLength, maximumDomainNameLength } from "./domainName";

/**
 * Terms that cost a DNS query, at most this many per evaluation.
 * @source RFC 7208 section 4.6.4
 */
export const spfDnsLookupLimit = 10;

export type SpfQualifier = "+" | "-" | "~" | "?";
export type SpfMechanismName = "all" | "include" | "a" | "mx" | "ptr" | "ip4" | "ip6" | "exists";

export interface SpfMechanism {
  readonly kind: "mechanism";
  /** `+` when none is written (RFC 7208 4.6.2). */
  readonly qualifier: SpfQualifier;
  readonly name: SpfMechanismName;
  /** The target of include, a, mx, ptr and exists, macros unexpanded. */
  readonly domainSpec?: string;
  /** The address part of ip4 and ip6. */
  readonly network?: string;
  readonly ip4PrefixLength?: number;
  readonly ip6PrefixLength?: number;
  /** The term as written. */
  readonly text: string;
}

export interface SpfModifier {
  readonly kind: "modifier";
  /** Lower case: modifier names are case-insensitive (RFC 7208 4.6.1). */
  readonly name: string;
  readonly value: string;
  readonly text: string;
}

export type SpfTerm = SpfMechanism | SpfModifier;

export interface ParsedSpf {
  readonly isSpf: boolean;
  readonly terms: SpfTerm[];
  /** Syntax problems (RFC 7208 section 12); empty when the record parses cleanly. */
  readonly problems: string[];
}

const mechanismNames: readonly SpfMechanismName[] = ["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"];
const lookupMechanisms: ReadonlySet<string> = new Set(["include", "a", "mx", "ptr", "exists"]);
const modifierNamePattern = /^[A-Za-z][A-Za-z0-9\-_.]*$/;
const macroExpandPattern = /^%\{[slodiphcrtvSLODIPHCRTV]\d*[rR]?[.\-+,/_=]*\}/;
const topLabelPattern = /^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])$/;

/** `v=spf1` followed by a space or the end (RFC 7208 4.5), in any case. */
export function isSpfRecord(txt: string): boolean {
  return /^v=spf1(?: |$)/i.test(txt);
}

/** Checks a macro-string; returns a problem or, when valid, whether it ends in a macro. */
function checkMacroString(text: string): { problem: string } | { endsWithMacro: boolean } {
  let position = 0;
  let endsWithMacro = false;
  while (position < text.length) {
    const character = text[position];
    if (character === "%") {
      const rest = text.slice(position);
      const expand = macroExpandPattern.exec(rest);
      if (expand) {
        position += expand[0].length;
        endsWithMacro = true;
        continue;
      }
      if (/^%[%_-]/.test(rest)) {
        position += 2;
        endsWithMacro = true;
        continue;
      }
      return { problem: `invalid macro "${rest.slice(0, 8)}"` };
    }
    if (character < "!" || character > "~") return { problem: `character ${JSON.stringify(character)} is not allowed` };
    endsWithMacro = false;
    position += 1;
  }
  return { endsWithMacro };
}

/** RFC 7208 domain-spec: a macro-string that ends in a macro or in "." and a top label. */
function domainSpecProblem(spec: string): string | undefined {
  if (spec.length === 0) return "the domain is empty";
  const checked = checkMacroString(spec);
  if ("problem" in checked) return checked.problem;
  if (checked.endsWithMacro) return undefined;
  const bare = spec.replace(/\.$/, "");
  const lastDot = bare.lastIndexOf(".");
  if (lastDot === -1) return `"${spec}" is not a fully qualified domain`;
  if (!topLabelPattern.test(bare.slice(lastDot + 1))) return `"${spec}" does not end in a valid top-level label`;
  if (!spec.includes("%")) {
    if (bare.length > maximumDomainNameLength) return `"${spec}" is longer than ${maximumDomainNameLength} characters`;
    const labels = bare.split(".");
    if (labels.some((label) => label.length === 0)) return `"${spec}" has an empty label`;
    if (labels.some((label) => label.length > maximumDnsLabelLength)) {
      return `"${spec}" has a label longer than ${maximumDnsLabelLength} characters`;
    }
  }
  return undefined;
}

function parsePrefixLength(text: string, maximum: number): number | undefined {
  if (!/^(?:0|[1-9]\d{0,2})$/.test(text)) return undefined;
  const value = Number(text);
  return value <= maximum ? value : undefined;
}

type MechanismParse = { mechanism: SpfMechanism } | { problem: string };

function parseMechanism(term: string): MechanismParse {
  const hasQualifier = /^[+\-~?]/.test(term);
  const qualifier = (hasQualifier ? term[0] : "+") as SpfQualifier;
  const body = hasQualifier ? term.slice(1) : term;
  const nameMatch = /^[^:/]*/.exec(body)?.[0] ?? "";
  const name = nameMatch.toLowerCase();
  const rest = body.slice(nameMatch.length);
  if (!(mechanismNames as readonly string[]).includes(name)) {
    return { problem: `SPF: unknown mechanism "${nameMatch}" in term "${term}"` };
  }
  const mechanismName = name as SpfMechanismName;
  const base = { kind: "mechanism" as const, qualifier, name: mechanismName, text: term };

  switch (mechanismName) {
    case "all":
      return rest === "" ? { mechanism: base } : { problem: `SPF: "all" takes no argument, found "${term}"` };

    case "include":
    case "exists": {
      if (!rest.startsWith(":")) return { problem: `SPF: "${mechanismName}" needs ":<domain>", found "${term}"` };
      const domainSpec = rest.slice(1);
      const problem = domainSpecProblem(domainSpec);
      if (problem) return { problem: `SPF ${mechanismName} term "${term}": ${problem}` };
      return { mechanism: { ...base, domainSpec } };
    }

    case "ptr": {
      if (rest === "") return { mechanism: base };
      if (!rest.startsWith(":")) return { problem: `SPF: "ptr" takes only ":<domain>", found "${term}"` };
      const domainSpec = rest.slice(1);
      const problem = domainSpecProblem(domainSpec);
      if (problem) return { problem: `SPF ptr term "${term}": ${problem}` };
      return { mechanism: { ...base, domainSpec } };
    }

    case "a":
    case "mx": {
      const cidr = /(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(rest);
      const cidrText = cidr?.[0] ?? "";
      const target = rest.slice(0, rest.length - cidrText.length);
      let ip4PrefixLength: number | undefined;
      let ip6PrefixLength: number | undefined;
      if (cidr?.[1] !== undefined) {
        ip4PrefixLength = parsePrefixLength(cidr[1], 32);
        if (ip4PrefixLength === undefined) return { problem: `SPF ${mechanismName} term "${term}": "/${cidr[1]}" is not an IPv4 prefix length (0-32)` };
      }
      if (cidr?.[2] !== undefined) {
        ip6PrefixLength = parsePrefixLength(cidr[2], 128);
        if (ip6PrefixLength === undefined) return { problem: `SPF ${mechanismName} term "${term}": "//${cidr[2]}" is not an IPv6 prefix length (0-128)` };
      }
      let domainSpec: string | undefined;
      if (target !== "") {
        if (!target.startsWith(":")) return { problem: `SPF: unexpected "${target}" in term "${term}"` };
        domainSpec = target.slice(1);
        const problem = domainSpecProblem(domainSpec);
        if (problem) return { problem: `SPF ${mechanismName} term "${term}": ${problem}` };
      }
      return { mechanism: { ...base, domainSpec, ip4PrefixLength, ip6PrefixLength } };
    }

    case "ip4":
    case "ip6": {
      if (!rest.startsWith(":")) return { problem: `SPF: "${mechanismName}" needs ":<address>", found "${term}"` };
      const value = rest.slice(1);
      const slash = value.indexOf("/");
      const network = slash === -1 ? value : value.slice(0, slash);
      const isIp4 = mechanismName === "ip4";
      const validAddress = isIp4 ? isIPv4(network) : isIPv6(network) && !network.includes("%");
      if (!validAddress) {
        return { problem: `SPF ${mechanismName} term "${term}": "${network}" is not an ${isIp4 ? "IPv4" : "IPv6"} address` };
      }
      let prefixLength: number | undefined;
      if (slash !== -1) {
        prefixLength = parsePrefixLength(value.slice(slash + 1), isIp4 ? 32 : 128);
        if (prefixLength === undefined) {
          return {
            problem: `SPF ${mechanismName} term "${term}": "/${value.slice(slash + 1)}" is not a prefix length (0-${isIp4 ? 32 : 128})`,
          };
        }
      }
      return {
        mechanism: isIp4
          ? { ...base, network, ip4PrefixLength: prefixLength }
          : { ...base, network, ip6PrefixLength: prefixLength },
      };
    }
  }
}

function parseModifier(term: string, equals: number): { modifier: SpfModifier } | { problem: string } {
  const name = term.slice(0, equals).toLowerCase();
  const value = term.slice(equals + 1);
  if (name === "redirect" || name === "exp") {
    const problem = domainSpecProblem(value);
    if (problem) return { problem: `SPF ${name}= modifier "${term}": ${problem}` };
  } else {
    const checked = checkMacroString(value);
    if ("problem" in checked) return { problem: `SPF modifier "${term}": ${checked.problem}` };
  }
  return { modifier: { kind: "modifier", name, value, text: term } };
}

export function parseSpf(text: string): ParsedSpf {
  const problems: string[] = [];
  if (!isSpfRecord(text)) {
    return { isSpf: false, terms: [], problems: [`SPF: record must start with "v=spf1" followed by a space`] };
  }
  if (/[^\x20-\x7e\t]/.test(text)) problems.push("SPF: record contains characters outside printable ASCII");
  if (/\t/.test(text)) problems.push("SPF: terms must be separated by spaces; found a tab");

  const terms: SpfTerm[] = [];
  const modifierCounts = new Map<string, number>();
  for (const term of text.slice("v=spf1".length).split(/[ \t]+/).filter((part) => part !== "")) {
    const equals = term.indexOf("=");
    const isModifier = equals > 0 && modifierNamePattern.test(term.slice(0, equals));
    const parsed = isModifier ? parseModifier(term, equals) : parseMechanism(term);
    if ("problem" in parsed) {
      problems.push(parsed.problem);
      continue;
    }
    const parsedTerm = "modifier" in parsed ? parsed.modifier : parsed.mechanism;
    terms.push(parsedTerm);
    if (parsedTerm.kind === "modifier") {
      modifierCounts.set(parsedTerm.name, (modifierCounts.get(parsedTerm.name) ?? 0) + 1);
    }
  }
  for (const name of ["redirect", "exp"]) {
    if ((modifierCounts.get(name) ?? 0) > 1) problems.push(`SPF: the ${name}= modifier appears more than once (RFC 7208 6)`);
  }
  return { isSpf: true, terms, problems };
}

function countLookups(terms: readonly SpfTerm[]): number {
  return terms.filter((term) =>
    term.kind === "mechanism" ? lookupMechanisms.has(term.name) : term.name === "redirect",
  ).length;
}

/**
 * DNS-querying terms in this record: include, a, mx, ptr, exists and redirect. Terms of the
 * records an include or redirect reaches count too in a real evaluation; they need live DNS,
 * so this is the part a static check can see.
 */
export function spfDnsLookupCount(text: string): number {
  return countLookups(parseSpf(text).terms);
}

/**
 * Syntax plus the baseline: the record ends in `~all` or `-all`, at most ten lookups, no `ptr`,
 * no address range that covers the whole internet.
 *
 * A record without `all` that ends in `redirect=` is accepted: the redirect target's record then
 * decides the result (RFC 7208 6.1), so its own `all` is judged where it is published. A
 * `redirect=` next to an `all` is a problem, because RFC 7208 6.1 ignores it there, which is
 * never what its author meant.
 */
export function validateSpf(text: string): string[] {
  const parsed = parseSpf(text);
  const problems = [...parsed.problems];
  if (!parsed.isSpf) return problems;

  const mechanisms = parsed.terms.filter((term): term is SpfMechanism => term.kind === "mechanism");
  const allIndex = mechanisms.findIndex((mechanism) => mechanism.name === "all");
  const hasRedirect = parsed.terms.some((term) => term.kind === "modifier" && term.name === "redirect");

  if (allIndex === -1) {
    if (!hasRedirect) problems.push(`SPF: the record must end in "~all" or "-all"; it has no "all" mechanism`);
  } else {
    const all = mechanisms[allIndex];
    if (all.qualifier === "+") {
      problems.push(`SPF: "${all.text}" lets every host pass; end the record in "~all" or "-all"`);
    } else if (all.qualifier === "?") {
      problems.push(`SPF: "${all.text}" leaves every other host neutral; end the record in "~all" or "-all"`);
    }
    const after = mechanisms.slice(allIndex + 1);
    if (after.length > 0) {
      problems.push(`SPF: mechanisms after "${all.text}" are never evaluated: ${after.map((m) => m.text).join(" ")}`);
    }
    if (hasRedirect) problems.push(`SPF: redirect= is ignored because the record has an "all" mechanism (RFC 7208 6.1)`);
  }

  const lookups = countLookups(parsed.terms);
  if (lookups > spfDnsLookupLimit) {
    problems.push(`SPF: ${lookups} DNS-querying terms (include, a, mx, ptr, exists, redirect); at most ${spfDnsLookupLimit} are allowed (RFC 7208 4.6.4)`);
  }
  for (const mechanism of mechanisms) {
    if (mechanism.name === "ptr") problems.push(`SPF: "${mechanism.text}": the ptr mechanism should not be used (RFC 7208 5.5)`);
    const wholeInternet =
      (mechanism.name === "ip4" && mechanism.ip4PrefixLength === 0) ||
      (mechanism.name === "ip6" && mechanism.ip6PrefixLength === 0);
    if (wholeInternet && mechanism.qualifier !== "-") {
      problems.push(`SPF: "${mechanism.text}" covers every address, the same as "+all"`);
    }
  }
  return problems;
}

export interface SpfRecordArgs {
  readonly ip4: readonly string[];
  readonly ip6: readonly string[];
  readonly include?: readonly string[];
  readonly all: "softfail" | "fail";
}

/** e.g. `v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 ~all`; throws when the result would not validate. */
export function buildSpfRecord(args: SpfRecordArgs): string {
  const terms = [
    ...args.ip4.map((address) => `ip4:${address}`),
    ...args.ip6.map((address) => `ip6:${address}`),
    ...(args.include ?? []).map((domain) => `include:${domain}`),
    args.all === "fail" ? "-all" : "~all",
  ];
  const record = ["v=spf1", ...terms].join(" ");
  const problems = validateSpf(record);
  if (problems.length > 0) throw new Error(`cannot build SPF record "${record}": ${problems.join("; ")}`);
  return record;
}
