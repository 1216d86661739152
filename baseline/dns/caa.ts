/** CAA records (RFC 8659) with the ACME account and method bindings of RFC 8657. */

import { isHostname } from "./domainName";
import { parseMailtoUri } from "./mailto";
import { parseTxtCharacterStrings } from "./txt";

export type CaaTag = "issue" | "issuewild" | "iodef";

export interface CaaRecord {
  flags: number;
  tag: CaaTag;
  value: string;
}

/** What a DNS provider reports, before the tag is known to be one of ours. */
export interface CaaRecordData {
  readonly flags: number;
  readonly tag: string;
  readonly value: string;
}

/**
 * The Issuer Critical flag: a CA that does not understand the tag must not issue.
 * @source RFC 8659 section 4.1
 */
export const caaIssuerCriticalFlag = 128;

const ourTags: readonly CaaTag[] = ["issue", "issuewild", "iodef"];
/** Registered in IANA's CAA property registry besides ours: RFC 9495's issuemail, the CA/B Forum's others. */
const otherKnownTags: readonly string[] = ["issuemail", "issuevmc", "contactemail", "contactphone"];
/** Reserved by RFC 8659 7.2; they must not be used. */
const reservedTags: readonly string[] = ["auth", "path", "policy"];
const issueStyleTags: readonly string[] = ["issue", "issuewild", "issuemail", "issuevmc"];
const tagPattern = /^[A-Za-z0-9]{1,15}$/;
const caaLabelPattern = /^[A-Za-z0-9](?:-*[A-Za-z0-9])*$/;
const parameterValuePattern = /^[\x21-\x3a\x3c-\x7e]*$/;

export interface CaaIssueValue {
  readonly issuer?: string;
  readonly parameters: ReadonlyMap<string, string>;
}

/** RFC 8659 4.2 issue-value: `[issuer-domain-name] [";" parameters]`; parameter tags lower-cased. */
export function parseCaaIssueValue(value: string): CaaIssueValue | { problem: string } {
  const semicolon = value.indexOf(";");
  const issuer = (semicolon === -1 ? value : value.slice(0, semicolon)).trim();
  if (issuer !== "" && !issuer.split(".").every((label) => caaLabelPattern.test(label))) {
    return { problem: `"${issuer}" is not a valid issuer domain name` };
  }
  const parameters = new Map<string, string>();
  const parameterText = semicolon === -1 ? "" : value.slice(semicolon + 1).trim();
  if (parameterText !== "") {
    for (const parameter of parameterText.split(";")) {
      const match = /^\s*([A-Za-z0-9](?:-*[A-Za-z0-9])*)\s*=\s*(\S*)\s*$/.exec(parameter);
      if (!match || !parameterValuePattern.test(match[2])) {
        return { problem: `parameter "${parameter.trim()}" is not "tag=value"` };
      }
      parameters.set(match[1].toLowerCase(), match[2]);
    }
  }
  return { issuer: issuer === "" ? undefined : issuer, parameters };
}

function acmeParameterProblems(parameters: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const methods = parameters.get("validationmethods");
  if (methods !== undefined && !methods.split(",").every((method) => caaLabelPattern.test(method))) {
    problems.push(`validationmethods "${methods}" must be ACME challenge types separated by commas (RFC 8657)`);
  }
  const accountUri = parameters.get("accounturi");
  if (accountUri !== undefined && !URL.canParse(accountUri)) {
    problems.push(`accounturi "${accountUri}" is not a valid URI (RFC 8657)`);
  }
  return problems;
}

function iodefProblem(value: string): string | undefined {
  if (/^mailto:/i.test(value)) {
    const parsed = parseMailtoUri(value);
    return "error" in parsed ? parsed.error : undefined;
  }
  if (/^https?:/i.test(value)) {
    return URL.canParse(value) && isHostname(new URL(value).hostname) ? undefined : `"${value}" is not a valid URL`;
  }
  return `"${value}" must be a mailto:, https: or http: URL (RFC 8659 4.4)`;
}

function recordProblems(record: CaaRecordData): string[] {
  const label = `CAA ${record.flags} ${record.tag} "${record.value}"`;
  const problems: string[] = [];
  if (!Number.isInteger(record.flags) || record.flags < 0 || record.flags > 255) {
    problems.push(`${label}: flags must be an integer from 0 to 255`);
  } else if ((record.flags & ~caaIssuerCriticalFlag) !== 0) {
    problems.push(`${label}: flags may only set the Issuer Critical bit (128); the other bits are reserved (RFC 8659 4.1)`);
  }
  if (!tagPattern.test(record.tag)) {
    problems.push(`${label}: tag must be 1 to 15 ASCII letters or digits`);
    return problems;
  }
  const tag = record.tag.toLowerCase();
  if (reservedTags.includes(tag)) {
    problems.push(`${label}: tag "${tag}" is reserved and must not be used (RFC 8659 7.2)`);
  } else if (!(ourTags as readonly string[]).includes(tag) && !otherKnownTags.includes(tag)) {
    problems.push(`${label}: unknown tag "${record.tag}"`);
  }
  if (issueStyleTags.includes(tag)) {
    const parsed = parseCaaIssueValue(record.value);
    if ("problem" in parsed) problems.push(`${label}: ${parsed.problem}`);
    else problems.push(...acmeParameterProblems(parsed.parameters).map((problem) => `${label}: ${problem}`));
  } else if (tag === "iodef") {
    const problem = iodefProblem(record.value);
    if (problem) problems.push(`${label}: ${problem}`);
  }
  return problems;
}

/** Value syntax and known tags per record; for the set, at least one `issue` record, or every CA may issue. */
export function validateCaaRecords(records: readonly CaaRecordData[]): string[] {
  const problems = records.flatMap(recordProblems);
  if (records.length > 0 && !records.some((record) => record.tag.toLowerCase() === "issue")) {
    problems.push('CAA: no "issue" record, so every CA may issue certificates for this name');
  }
  return problems;
}

export interface CaaRecordsArgs {
  /** The CA's issuer domain, e.g. `letsencrypt.org`. */
  readonly issuer: string;
  /** ACME challenge types the CA may use (RFC 8657), e.g. `["dns-01"]`. */
  readonly validationMethods?: readonly string[];
  /** Our ACME account (RFC 8657), once it exists: only it may order certificates. */
  readonly accountUri?: string;
  /** Where a CA reports refused requests: a `mailto:` or `https:` URL. */
  readonly iodef?: string;
}

/**
 * `issue` for our CA, `issuewild ";"` and an optional `iodef`. No wildcard may be issued: the
 * host needs only named certificates (mail., mta-sts.), and a wildcard's key would speak for
 * every name in the zone. Throws when a record would not validate.
 */
export function buildCaaRecords(args: CaaRecordsArgs): CaaRecord[] {
  const parameters: string[] = [];
  if (args.validationMethods && args.validationMethods.length > 0) {
    parameters.push(`validationmethods=${args.validationMethods.join(",")}`);
  }
  if (args.accountUri !== undefined) parameters.push(`accounturi=${args.accountUri}`);
  const records: CaaRecord[] = [
    { flags: 0, tag: "issue", value: [args.issuer, ...parameters].join("; ") },
    { flags: 0, tag: "issuewild", value: ";" },
  ];
  if (args.iodef !== undefined) records.push({ flags: 0, tag: "iodef", value: args.iodef });
  const problems = validateCaaRecords(records);
  if (args.issuer.trim() === "") problems.push("CAA issuer: an issuer domain is required");
  if (problems.length > 0) throw new Error(`cannot build CAA records: ${problems.join("; ")}`);
  return records;
}

/** Zone-file presentation: `0 issue "letsencrypt.org; validationmethods=dns-01"`. */
export function formatCaaRecord(record: CaaRecordData): string {
  return `${record.flags} ${record.tag} "${record.value.replace(/[\\"]/g, (character) => `\\${character}`)}"`;
}

/** Reads `flags tag value`, the value quoted or not; throws on a tag this project does not publish. */
export function parseCaaRecord(text: string): CaaRecord {
  const match = /^\s*(\d{1,3})\s+([A-Za-z0-9]+)\s+(.*?)\s*$/.exec(text);
  if (!match) throw new Error(`CAA record "${text}" is not "<flags> <tag> <value>"`);
  const flags = Number(match[1]);
  if (flags > 255) throw new Error(`CAA record "${text}": flags ${flags} is above 255`);
  const tag = match[2].toLowerCase();
  if (!(ourTags as readonly string[]).includes(tag)) {
    throw new Error(`CAA record "${text}": tag "${match[2]}" is not one of ${ourTags.join(", ")}`);
  }
  const strings = parseTxtCharacterStrings(match[3]);
  if (strings.length !== 1) throw new Error(`CAA record "${text}": the value must be one string`);
  return { flags, tag: tag as CaaTag, value: strings[0] };
}

export interface CaaIssuanceRequest {
  /** The CA's issuer domain, e.g. `letsencrypt.org`. */
  readonly issuer: string;
  /** The ordering account's URI. */
  readonly accountUri: string;
  /** The ACME challenge type used, e.g. `dns-01`. */
  readonly validationMethod: string;
  readonly wildcard?: boolean;
}

/**
 * What a CA decides from a name's CAA RRset (RFC 8659 section 4.2 and 4.3; RFC 8657 sections 3
 * and 4): with no issue (or, for a wildcard, issuewild) record, any CA may issue; otherwise one
 * record must name this CA and, where it says, this account and this validation method.
 */
export function caaPermitsIssuance(records: readonly CaaRecordData[], request: CaaIssuanceRequest): boolean {
  const byTag = (tag: string) => records.filter((r) => r.tag.toLowerCase() === tag);
  const relevant = request.wildcard && byTag("issuewild").length > 0 ? byTag("issuewild") : byTag("issue");
  if (relevant.length === 0) return true;
  return relevant.some((record) => {
    const parsed = parseCaaIssueValue(record.value);
    if ("problem" in parsed || parsed.issuer?.toLowerCase() !== request.issuer.toLowerCase()) return false;
    const accountUri = parsed.parameters.get("accounturi");
    const methods = parsed.parameters.get("validationmethods");
    return (accountUri === undefined || accountUri === request.accountUri) && (methods === undefined || methods.split(",").includes(request.validationMethod));
  });
}
