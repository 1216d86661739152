/** SMTP TLS Reporting records at `_smtp._tls` (RFC 8460 3). */

import { isHostname } from "./domainName";
import { parseMailtoUri } from "./mailto";
import { duplicateTagProblems, splitTagList } from "./tagList";

export interface ParsedTlsRpt {
  readonly version?: string;
  /** Report URIs; RFC 8460 allows `mailto:` and `https:`. */
  readonly rua: string[];
  readonly extensions: Readonly<Record<string, string>>;
  readonly problems: string[];
}

const extensionNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const extensionValuePattern = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;

/** Receivers keep records that begin with `v=TLSRPTv1` (RFC 8460 3). */
export function isTlsRptRecord(txt: string): boolean {
  return /^v=TLSRPTv1(?:;|$)/.test(txt);
}

function httpsUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `"${uri}" is not a valid URI`;
  }
  if (!isHostname(url.hostname)) return `"${uri}" does not name a valid host`;
  return undefined;
}

function reportUriProblem(uri: string): string | undefined {
  if (/^mailto:/i.test(uri)) {
    const parsed = parseMailtoUri(uri);
    return "error" in parsed ? parsed.error : undefined;
  }
  if (/^https:/i.test(uri)) return httpsUriProblem(uri);
  return `"${uri}" must be a mailto: or https: URI`;
}

export function parseTlsRpt(text: string): ParsedTlsRpt {
  const split = splitTagList(text, "TLS-RPT");
  const problems = [...split.problems, ...duplicateTagProblems(split.tags, "TLS-RPT", (name) => name)];
  const extensions: Record<string, string> = {};
  let version: string | undefined;
  let rua: string[] | undefined;
  split.tags.forEach((tag, index) => {
    if (tag.spacedAroundEquals) problems.push(`TLS-RPT: no spaces are allowed around "=" in "${tag.name}"`);
    if (tag.name === "v") {
      if (index !== 0) problems.push("TLS-RPT: v= must be the first field");
      version ??= tag.value;
    } else if (tag.name === "rua") {
      rua ??= tag.value.split(",").map((uri) => uri.trim());
    } else {
      if (!extensionNamePattern.test(tag.name)) problems.push(`TLS-RPT: "${tag.name}" is not a valid field name`);
      if (!extensionValuePattern.test(tag.value)) problems.push(`TLS-RPT: field "${tag.name}" has an invalid value`);
      extensions[tag.name] ??= tag.value;
    }
  });
  if (!text.startsWith("v=")) problems.push('TLS-RPT: the record must start with "v=TLSRPTv1"');
  return { version, rua: rua ?? [], extensions, problems };
}

/** Version and rua as RFC 8460 requires; field names and `v`'s value are case-sensitive there. */
export function validateTlsRpt(text: string): string[] {
  const parsed = parseTlsRpt(text);
  const problems = [...parsed.problems];
  if (parsed.version !== "TLSRPTv1") problems.push(`TLS-RPT: v=${parsed.version ?? ""} must be "TLSRPTv1" (case-sensitive)`);
  if (parsed.rua.length === 0) problems.push("TLS-RPT: rua= is required");
  for (const uri of parsed.rua) {
    const problem = uri === "" ? "empty entry in the rua list" : reportUriProblem(uri);
    if (problem) problems.push(`TLS-RPT rua: ${problem}`);
  }
  return problems;
}

export interface TlsRptRecordArgs {
  /** `mailto:` URIs only: reports land in a mailbox the tenant already runs. */
  readonly rua: readonly string[];
}

export function buildTlsRptRecord(args: TlsRptRecordArgs): string {
  if (args.rua.length === 0) throw new Error("TLS-RPT rua: at least one mailto: URI is required");
  for (const uri of args.rua) {
    const parsed = parseMailtoUri(uri);
    if ("error" in parsed) throw new Error(`TLS-RPT rua: ${parsed.error}`);
  }
  return `v=TLSRPTv1; rua=${args.rua.join(",")}`;
}

export function tlsRptRecordName(domain: string): string {
  return `_smtp._tls.${domain}`;
}
