/** MTA-STS (RFC 8461): the `_mta-sts` TXT record and the policy file served over HTTPS. */

import { createHash } from "node:crypto";
import { isHostname } from "./domainName";
import { duplicateTagProblems, splitTagList } from "./tagList";

export type MtaStsMode = "testing" | "enforce" | "none";

/**
 * max_age may not exceed one year (31557600 seconds).
 * @source RFC 8461 section 3.2
 */
export const mtaStsMaxAgeLimitSeconds = 31557600;

/**
 * One week while in testing. max_age is how long a sender keeps our policy without reaching the
 * policy host again: long enough to ride out an outage of that host or a stripped TXT record
 * (a lapsed policy no longer protects against downgrade), short enough that a mistake found
 * while testing (an mx list missing a host) has left every cache within a week of its fix,
 * before enforce is switched on. Once enforcing, tenants raise it towards the limit.
 * @source RFC 8461 section 3.2 (weeks or more recommended); our rollout
 */
export const mtaStsDefaultMaxAgeSeconds = 604800;

const modes: readonly MtaStsMode[] = ["testing", "enforce", "none"];
const policyIdPattern = /^[A-Za-z0-9]{1,32}$/;
const extensionNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const extensionValuePattern = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;

export function buildMtaStsRecord(id: string): string {
  if (!policyIdPattern.test(id)) throw new Error(`MTA-STS id "${id}" must be 1 to 32 letters or digits`);
  return `v=STSv1; id=${id}`;
}

/** Receivers keep records that begin with `v=STSv1;` (RFC 8461 3.1); a record of only `v=STSv1` is counted too. */
export function isMtaStsRecord(txt: string): boolean {
  return /^v=STSv1(?:;|$)/.test(txt);
}

export interface ParsedMtaStsRecord {
  readonly version?: string;
  readonly id?: string;
  readonly extensions: Readonly<Record<string, string>>;
  readonly problems: string[];
}

export function parseMtaStsRecord(text: string): ParsedMtaStsRecord {
  const split = splitTagList(text, "MTA-STS record");
  const problems = [...split.problems, ...duplicateTagProblems(split.tags, "MTA-STS record", (name) => name)];
  const extensions: Record<string, string> = {};
  let version: string | undefined;
  let id: string | undefined;
  split.tags.forEach((tag, index) => {
    if (tag.spacedAroundEquals) problems.push(`MTA-STS record: no spaces are allowed around "=" in "${tag.name}"`);
    if (tag.name === "v") {
      if (index !== 0) problems.push("MTA-STS record: v= must be the first field");
      version ??= tag.value;
    } else if (tag.name === "id") {
      id ??= tag.value;
    } else {
      if (!extensionNamePattern.test(tag.name)) problems.push(`MTA-STS record: "${tag.name}" is not a valid field name`);
      if (!extensionValuePattern.test(tag.value)) problems.push(`MTA-STS record: field "${tag.name}" has an invalid value`);
      extensions[tag.name] ??= tag.value;
    }
  });
  if (!text.startsWith("v=")) problems.push('MTA-STS record: must start with "v=STSv1"');
  return { version, id, extensions, problems };
}

export function validateMtaStsRecord(text: string): string[] {
  const parsed = parseMtaStsRecord(text);
  const problems = [...parsed.problems];
  if (parsed.version !== "STSv1") problems.push(`MTA-STS record: v=${parsed.version ?? ""} must be "STSv1" (case-sensitive)`);
  if (parsed.id === undefined) problems.push("MTA-STS record: id= is required");
  else if (!policyIdPattern.test(parsed.id)) problems.push(`MTA-STS record: id=${parsed.id} must be 1 to 32 letters or digits`);
  return problems;
}

export interface MtaStsPolicyArgs {
  readonly mode: MtaStsMode;
  readonly mx: readonly string[];
  readonly maxAgeSeconds: number;
}

/** The policy file body with CRLF line endings (RFC 8461 3.2); throws when invalid. */
export function renderMtaStsPolicy(args: MtaStsPolicyArgs): string {
  const lines = [
    "version: STSv1",
    `mode: ${args.mode}`,
    ...args.mx.map((pattern) => `mx: ${pattern}`),
    `max_age: ${args.maxAgeSeconds}`,
  ];
  const policy = lines.map((line) => `${line}\r\n`).join("");
  const problems = validateMtaStsPolicy(policy);
  if (problems.length > 0) throw new Error(`cannot render MTA-STS policy: ${problems.join("; ")}`);
  return policy;
}

/** 32 hex characters of the policy's SHA-256: any change to the policy changes the id. */
export function mtaStsPolicyId(policyText: string): string {
  return createHash("sha256").update(policyText, "utf8").digest("hex").slice(0, 32);
}

export interface ParsedMtaStsPolicy {
  readonly version?: string;
  readonly mode?: string;
  /** max_age as written. */
  readonly maxAge?: string;
  /** max_age when it is a valid number of seconds. */
  readonly maxAgeSeconds?: number;
  readonly mx: string[];
  readonly extensions: Readonly<Record<string, string>>;
  readonly problems: string[];
}

/** `mail.example.com` or `*.example.com`: a wildcard stands for exactly one leftmost label (RFC 8461 4.1). */
export function isValidMtaStsMxPattern(pattern: string): boolean {
  return isHostname(pattern.startsWith("*.") ? pattern.slice(2) : pattern);
}

/** Lines end in LF or CRLF (RFC 8461 3.2 accepts both); a field is `name: value`, in any order. */
export function parseMtaStsPolicy(text: string): ParsedMtaStsPolicy {
  const problems: string[] = [];
  const mx: string[] = [];
  const extensions: Record<string, string> = {};
  const single = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    const where = `MTA-STS policy line ${index + 1}`;
    if (line.trim() === "") return;
    const match = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31}):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!match) {
      problems.push(`${where}: "${line}" is not "name: value"`);
      return;
    }
    const [, name, value] = match;
    if (name === "mx") {
      mx.push(value);
    } else if (["version", "mode", "max_age"].includes(name)) {
      if (single.has(name)) problems.push(`${where}: "${name}" appears more than once`);
      else single.set(name, value);
    } else {
      extensions[name] ??= value;
    }
  });
  const maxAgeText = single.get("max_age");
  const maxAgeSeconds = maxAgeText !== undefined && /^\d{1,10}$/.test(maxAgeText) ? Number(maxAgeText) : undefined;
  if (maxAgeText !== undefined && maxAgeSeconds === undefined) {
    problems.push(`MTA-STS policy: max_age "${maxAgeText}" is not a non-negative whole number of seconds`);
  }
  return { version: single.get("version"), mode: single.get("mode"), maxAge: maxAgeText, maxAgeSeconds, mx, extensions, problems };
}

/**
 * Every field RFC 8461 requires, valid. mx may be left out only with `mode: none`, the
 * policy a domain publishes while withdrawing MTA-STS (RFC 8461 8.3).
 */
export function validateMtaStsPolicy(text: string): string[] {
  const parsed = parseMtaStsPolicy(text);
  const problems = [...parsed.problems];
  if (parsed.version === undefined) problems.push('MTA-STS policy: "version: STSv1" is required');
  else if (parsed.version !== "STSv1") problems.push(`MTA-STS policy: version "${parsed.version}" must be "STSv1"`);
  if (parsed.mode === undefined) problems.push("MTA-STS policy: mode is required (testing, enforce or none)");
  else if (!(modes as readonly string[]).includes(parsed.mode)) {
    problems.push(`MTA-STS policy: mode "${parsed.mode}" must be testing, enforce or none`);
  }
  if (parsed.maxAge === undefined) {
    problems.push("MTA-STS policy: max_age is required");
  } else if (parsed.maxAgeSeconds !== undefined && parsed.maxAgeSeconds > mtaStsMaxAgeLimitSeconds) {
    problems.push(`MTA-STS policy: max_age ${parsed.maxAgeSeconds} exceeds the limit of ${mtaStsMaxAgeLimitSeconds} seconds`);
  }
  if (parsed.mx.length === 0 && parsed.mode !== "none") {
    problems.push('MTA-STS policy: at least one "mx" pattern is required unless the mode is none');
  }
  for (const pattern of parsed.mx) {
    if (!isValidMtaStsMxPattern(pattern)) problems.push(`MTA-STS policy: mx "${pattern}" is not a host name or "*." pattern`);
  }
  return problems;
}

export function mtaStsRecordName(domain: string): string {
  return `_mta-sts.${domain}`;
}

export function mtaStsPolicyHost(domain: string): string {
  return `mta-sts.${domain}`;
}
