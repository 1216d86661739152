/**
 * DMARC policy records: RFC 7489, and RFC 9989 (DMARCbis), which adds t= (testing), np=
 * (non-existent subdomains) and psd= and makes pct=, rf= and ri= historic. Records of both
 * generations are read.
 */

import { isSameOrSubdomain, normalizeDomainName } from "./domainName";
import { parseMailtoUri } from "./mailto";
import { duplicateTagProblems, splitTagList } from "./tagList";

export type DmarcPhase = "monitor" | "quarantine" | "reject";
export type DmarcRequest = "none" | "quarantine" | "reject";
export type DmarcAlignment = "r" | "s";

export interface ParsedDmarc {
  /** Tag names in lower case (DMARC tag names are case-insensitive); values as written. */
  readonly tags: Readonly<Record<string, string>>;
  readonly policy?: DmarcRequest;
  readonly subdomainPolicy?: DmarcRequest;
  readonly nonExistentSubdomainPolicy?: DmarcRequest;
  /** rua= and ruf= URIs, each with any `!size` suffix still attached. */
  readonly rua: string[];
  readonly ruf: string[];
  readonly problems: string[];
}

/**
 * The record a report receiver publishes to accept another domain's reports.
 * @source RFC 7489 section 7.1
 */
export const dmarcReportAuthorizationRecord = "v=DMARC1";

const requestValues: readonly DmarcRequest[] = ["none", "quarantine", "reject"];
const valueRules: Readonly<Record<string, (value: string) => boolean>> = {
  v: (value) => value === "DMARC1",
  p: (value) => (requestValues as readonly string[]).includes(value.toLowerCase()),
  sp: (value) => (requestValues as readonly string[]).includes(value.toLowerCase()),
  np: (value) => (requestValues as readonly string[]).includes(value.toLowerCase()),
  adkim: (value) => /^[rs]$/i.test(value),
  aspf: (value) => /^[rs]$/i.test(value),
  t: (value) => /^[yn]$/i.test(value),
  psd: (value) => /^[ynu]$/i.test(value),
  fo: (value) => /^[01ds](?:\s*:\s*[01ds])*$/i.test(value),
  pct: (value) => /^\d{1,3}$/.test(value) && Number(value) <= 100,
  rf: (value) => /^[A-Za-z][A-Za-z0-9-]*(?:\s*:\s*[A-Za-z][A-Za-z0-9-]*)*$/.test(value),
  ri: (value) => /^\d{1,10}$/.test(value) && Number(value) <= 0xffffffff,
  // Report URIs are checked one by one in validateDmarc, with messages naming the URI.
  rua: () => true,
  ruf: () => true,
};
const valueDescriptions: Readonly<Record<string, string>> = {
  v: '"DMARC1" (case-sensitive)',
  p: "none, quarantine or reject",
  sp: "none, quarantine or reject",
  np: "none, quarantine or reject",
  adkim: "r or s",
  aspf: "r or s",
  t: "y or n",
  psd: "y, n or u",
  fo: "0, 1, d or s, separated by ':'",
  pct: "an integer from 0 to 100",
  rf: "report format keywords separated by ':'",
  ri: "a number of seconds",
};

/** `v=DMARC1` at the start, as receivers select records (the version is case-sensitive in the ABNF, but receivers compare loosely). */
export function isDmarcRecord(txt: string): boolean {
  return /^v\s*=\s*DMARC1\s*(?:;|$)/i.test(txt);
}

function splitUriList(value: string): string[] {
  return value.split(",").map((uri) => uri.trim());
}

/** A report URI: `mailto:` with a valid address and an optional `!size` (RFC 7489 6.2). */
function reportUriProblem(tag: string, uri: string): string | undefined {
  const bang = uri.lastIndexOf("!");
  const address = bang === -1 ? uri : uri.slice(0, bang);
  if (bang !== -1 && !/^\d+[kmgt]?$/i.test(uri.slice(bang + 1))) {
    return `DMARC ${tag}: "${uri}" has an invalid size limit "!${uri.slice(bang + 1)}" (digits, then k, m, g or t)`;
  }
  const parsed = parseMailtoUri(address);
  return "error" in parsed ? `DMARC ${tag}: ${parsed.error}` : undefined;
}

export function parseDmarc(text: string): ParsedDmarc {
  const split = splitTagList(text, "DMARC");
  const problems = [...split.problems, ...duplicateTagProblems(split.tags, "DMARC", (name) => name.toLowerCase())];
  const tags: Record<string, string> = {};
  for (const tag of split.tags) {
    const name = tag.name.toLowerCase();
    if (!(name in tags)) tags[name] = tag.value;
  }
  if (split.tags[0]?.name.toLowerCase() !== "v") problems.push('DMARC: the record must start with "v=DMARC1"');
  const request = (value: string | undefined): DmarcRequest | undefined => {
    const lower = value?.toLowerCase();
    return (requestValues as readonly string[]).includes(lower ?? "") ? (lower as DmarcRequest) : undefined;
  };
  return {
    tags,
    policy: request(tags.p),
    subdomainPolicy: request(tags.sp),
    nonExistentSubdomainPolicy: request(tags.np),
    rua: tags.rua === undefined ? [] : splitUriList(tags.rua),
    ruf: tags.ruf === undefined ? [] : splitUriList(tags.ruf),
    problems,
  };
}

/**
 * Syntax of every known tag, p= present, rua= present (the baseline: a policy nobody reads is
 * blind), every report URI a valid `mailto:`. An unknown tag is a problem too: receivers ignore
 * it (RFC 9989), so it is almost always a misspelt tag whose setting silently does not apply.
 * RFC 7489's rule that p= directly follows v= is not enforced: RFC 9989 dropped it, and
 * mailauth reads p= wherever it stands. Our builder still writes p= second.
 */
export function validateDmarc(text: string): string[] {
  const parsed = parseDmarc(text);
  const problems = [...parsed.problems];
  for (const [name, value] of Object.entries(parsed.tags)) {
    const rule = valueRules[name];
    if (!rule) {
      problems.push(`DMARC: unknown tag "${name}" (receivers ignore it; a misspelling?)`);
    } else if (!rule(value)) {
      problems.push(`DMARC ${name}=${value}: must be ${valueDescriptions[name]}`);
    }
  }
  if (parsed.tags.p === undefined) problems.push("DMARC: p= (the policy) is required");
  if (parsed.tags.rua === undefined) problems.push("DMARC: rua= is required, so that aggregate reports are received");
  for (const [tag, uris] of [["rua", parsed.rua], ["ruf", parsed.ruf]] as const) {
    if (parsed.tags[tag] !== undefined && uris.every((uri) => uri === "")) {
      problems.push(`DMARC ${tag}: no report URI given`);
      continue;
    }
    for (const uri of uris) {
      const problem = uri === "" ? `DMARC ${tag}: empty entry in the URI list` : reportUriProblem(tag, uri);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

export type DmarcQuarantineRollout = { style: "pct"; percent: number } | { style: "testing" };

export interface DmarcRecordArgs {
  readonly phase: DmarcPhase;
  readonly rua: readonly string[];
  readonly ruf?: readonly string[];
  /**
   * How a quarantine starts small: the spec's `pct=` (RFC 7489; RFC 9989 receivers ignore it and
   * quarantine everything) or RFC 9989's `t=y` (RFC 7489 receivers ignore it and quarantine
   * everything). Without one, quarantine applies to all failing mail.
   */
  readonly quarantineRollout?: DmarcQuarantineRollout;
  readonly adkim?: DmarcAlignment;
  readonly aspf?: DmarcAlignment;
  readonly subdomainPolicy?: DmarcRequest;
}

const phasePolicy: Readonly<Record<DmarcPhase, DmarcRequest>> = {
  monitor: "none",
  quarantine: "quarantine",
  reject: "reject",
};

/** `v=DMARC1; p=<policy>[; pct=|t=][; sp=][; adkim=][; aspf=]; rua=...[; ruf=...]`; throws when invalid. */
export function buildDmarcRecord(args: DmarcRecordArgs): string {
  if (args.rua.length === 0) throw new Error("DMARC rua: at least one mailto: URI is required");
  const tags = ["v=DMARC1", `p=${phasePolicy[args.phase]}`];
  if (args.quarantineRollout) {
    if (args.phase !== "quarantine") {
      throw new Error(`DMARC quarantineRollout applies only to the quarantine phase, not "${args.phase}"`);
    }
    const rollout = args.quarantineRollout;
    if (rollout.style === "pct") {
      if (!Number.isInteger(rollout.percent) || rollout.percent < 0 || rollout.percent > 100) {
        throw new Error(`DMARC quarantineRollout.percent must be an integer from 0 to 100, got ${rollout.percent}`);
      }
      tags.push(`pct=${rollout.percent}`);
    } else {
      tags.push("t=y");
    }
  }
  if (args.subdomainPolicy) tags.push(`sp=${args.subdomainPolicy}`);
  if (args.adkim) tags.push(`adkim=${args.adkim}`);
  if (args.aspf) tags.push(`aspf=${args.aspf}`);
  tags.push(`rua=${args.rua.join(",")}`);
  if (args.ruf && args.ruf.length > 0) tags.push(`ruf=${args.ruf.join(",")}`);
  const record = tags.join("; ");
  const problems = validateDmarc(record);
  if (problems.length > 0) throw new Error(`cannot build DMARC record "${record}": ${problems.join("; ")}`);
  return record;
}

/**
 * Domains of report URIs outside the policy domain's own tree, each needing
 * `<policyDomain>._report._dmarc.<domain>` (RFC 7489 7.1). Without a public suffix list a parent
 * domain counts as outside too, which asks for an authorization record that is harmless when
 * not strictly needed. Invalid URIs are left to validateDmarc.
 */
export function dmarcExternalReportDomains(policyDomain: string, rua: readonly string[]): string[] {
  const domains = new Set<string>();
  for (const uri of rua) {
    const bang = uri.lastIndexOf("!");
    const parsed = parseMailtoUri((bang === -1 ? uri : uri.slice(0, bang)).trim());
    if ("error" in parsed) continue;
    if (!isSameOrSubdomain(parsed.domain, policyDomain)) domains.add(parsed.domain);
  }
  return [...domains];
}

export function dmarcReportAuthorizationName(policyDomain: string, ruaDomain: string): string {
  return `${normalizeDomainName(policyDomain)}._report._dmarc.${normalizeDomainName(ruaDomain)}`;
}

export function dmarcRecordName(domain: string): string {
  return `_dmarc.${normalizeDomainName(domain)}`;
}
