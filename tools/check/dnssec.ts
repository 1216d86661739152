/**
 * Whether DANE is live for a tenant domain: the DS at the parent (the registrar's part), the
 * zone's keys validating from the root, and the TLSA records of the mail host validating. Every
 * answer is validated by BIND's delv (Debian: bind9-dnsutils) through a resolver, from the root's
 * trust anchor (delv's built-in one, or a lab's).
 */

import { spawn } from "node:child_process";
import { smtpTlsaRecordName } from "../../baseline/dns/tlsa";
import { mailHostname } from "../../tenant/names";
import { exitCodeOf, worstLevel, type Level } from "./levels";

export type Validation =
  | { readonly kind: "validated"; readonly records: readonly string[] }
  | { readonly kind: "validated-absent" }
  | { readonly kind: "insecure"; readonly records: readonly string[] }
  | { readonly kind: "insecure-absent" }
  | { readonly kind: "bogus"; readonly reason: string }
  | { readonly kind: "unreachable"; readonly reason: string };

export interface DnssecCheckOptions {
  readonly domain: string;
  /** The resolver delv asks: "ip", "ip:port" or "[ipv6]:port"; default the system's. */
  readonly resolver?: string;
  /** A trust-anchors file for a lab's root; default delv's built-in root key. */
  readonly trustAnchorFile?: string;
  readonly timeoutMs: number;
}

export interface DnssecFinding {
  readonly check: "ds" | "dnskey" | "tlsa";
  readonly name: string;
  readonly level: Level;
  readonly summary: string;
  readonly records: readonly string[];
}

export interface DnssecReport {
  readonly domain: string;
  readonly checkedAt: string;
  readonly findings: readonly DnssecFinding[];
  readonly worst: Level;
  readonly exitCode: number;
  /** True when the DS is published, the chain validates and validated TLSA records exist. */
  readonly daneLive: boolean;
}

/** delv prints what it validated on stdout and why resolution failed on stderr; it exits 0 either way. */
export function parseDelvOutput(stdout: string, stderr: string): Validation {
  const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const records = lines.filter((l) => !l.startsWith(";") && !/\sRRSIG\s/.test(l)).map(presentRecord);
  const status = lines[0] ?? "";
  if (status === "; fully validated") return { kind: "validated", records };
  if (status === "; negative response, fully validated") return { kind: "validated-absent" };
  if (status === "; unsigned answer") return { kind: "insecure", records };
  if (status.startsWith("; negative response")) return { kind: "insecure-absent" };
  const reasons = stderr.split("\n").map((l) => l.replace(/^;;\s*/, "").trim()).filter((l) => l !== "");
  const reason = reasons.find((l) => /^validating /.test(l)) ?? reasons.at(-1) ?? "delv printed nothing";
  if (/no valid signature|no valid RRSIG|broken trust chain|insecurity proof failed|bogus|not trusted|no valid DS|no valid DNSKEY/i.test(stderr)) {
    return { kind: "bogus", reason };
  }
  return { kind: "unreachable", reason };
}

/** One space between fields, and a DS or TLSA digest in one piece, lower-case, as the stack's outputs write it. */
function presentRecord(line: string): string {
  const spaced = line.replace(/\s+/g, " ");
  const digest = /^(\S+ \d+ IN (?:TLSA|DS) \d+ \d+ \d+ )([0-9A-Fa-f ]+)$/.exec(spaced);
  return digest ? `${digest[1]}${digest[2]!.replace(/ /g, "").toLowerCase()}` : spaced;
}

function resolverArgs(resolver: string | undefined): string[] {
  if (resolver === undefined) return [];
  const bracketed = /^\[([0-9a-f:.]+)\]:(\d{1,5})$/i.exec(resolver);
  if (bracketed) return [`@${bracketed[1]}`, "-p", bracketed[2]!];
  const v4WithPort = /^([0-9.]+):(\d{1,5})$/.exec(resolver);
  if (v4WithPort) return [`@${v4WithPort[1]}`, "-p", v4WithPort[2]!];
  return [`@${resolver}`];
}

/** One validated lookup; a delv that is missing or does not finish in time is an error or unreachable. */
export function delv(name: string, type: string, options: Omit<DnssecCheckOptions, "domain">): Promise<Validation> {
  const args = [...resolverArgs(options.resolver), ...(options.trustAnchorFile ? ["-a", options.trustAnchorFile, "+root"] : []), "+nortrace", name, type];
  return new Promise((resolve, reject) => {
    const child = spawn("delv", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const cap = 256 * 1024;
    child.stdout.on("data", (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(0, cap)));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(0, cap)));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(error.code === "ENOENT" ? "delv is not installed (Debian: bind9-dnsutils)" : `delv: ${error.message}`));
    });
    child.on("close", (_code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") resolve({ kind: "unreachable", reason: `no answer within ${options.timeoutMs / 1000} s` });
      else resolve(parseDelvOutput(stdout, stderr));
    });
  });
}

const bogusNote = "validating resolvers answer SERVFAIL for the whole zone";

function judgeDs(name: string, v: Validation): DnssecFinding {
  const at = { check: "ds" as const, name };
  switch (v.kind) {
    case "validated":
      return { ...at, level: "ok", summary: "DS published at the parent and validated", records: v.records.filter((r) => / DS /.test(r)) };
    case "validated-absent":
      return { ...at, level: "warning", summary: "no DS at the parent: publish the stack's dnssecDsRecord at the registrar", records: [] };
    case "insecure":
    case "insecure-absent":
      return { ...at, level: "warning", summary: "the parent zone is not signed: no chain of trust can reach this domain", records: [] };
    case "bogus":
      return { ...at, level: "critical", summary: `the DS does not validate (${v.reason})`, records: [] };
    case "unreachable":
      return { ...at, level: "unreachable", summary: `no validated answer: ${v.reason}`, records: [] };
  }
}

function judgeDnskey(name: string, v: Validation): DnssecFinding {
  const at = { check: "dnskey" as const, name };
  switch (v.kind) {
    case "validated":
      return { ...at, level: "ok", summary: "the zone's keys validate from the root", records: v.records.filter((r) => / DNSKEY /.test(r)) };
    case "validated-absent":
    case "insecure-absent":
      return { ...at, level: "warning", summary: "the zone publishes no DNSKEY: it is not signed", records: [] };
    case "insecure":
      return { ...at, level: "warning", summary: "the zone is signed but not validated: its DS is not at the parent yet", records: [] };
    case "bogus":
      return { ...at, level: "critical", summary: `the chain is broken (${v.reason}): ${bogusNote}`, records: [] };
    case "unreachable":
      return { ...at, level: "unreachable", summary: `no validated answer: ${v.reason}`, records: [] };
  }
}

function judgeTlsa(name: string, v: Validation): DnssecFinding {
  const at = { check: "tlsa" as const, name };
  switch (v.kind) {
    case "validated": {
      const records = v.records.filter((r) => / TLSA /.test(r));
      return records.length > 0
        ? { ...at, level: "ok", summary: "TLSA records validated: DANE is live for inbound mail", records }
        : { ...at, level: "warning", summary: "validated, but no TLSA record", records: [] };
    }
    case "validated-absent":
      return { ...at, level: "warning", summary: "no TLSA record: sending MTAs do not use DANE", records: [] };
    case "insecure":
    case "insecure-absent":
      return { ...at, level: "warning", summary: "TLSA records not validated: DANE clients ignore them", records: [] };
    case "bogus":
      return { ...at, level: "critical", summary: `the TLSA answer is bogus (${v.reason}): DANE senders defer mail`, records: [] };
    case "unreachable":
      return { ...at, level: "unreachable", summary: `no validated answer: ${v.reason}`, records: [] };
  }
}

export async function checkDnssec(options: DnssecCheckOptions, now = new Date()): Promise<DnssecReport> {
  const tlsaName = smtpTlsaRecordName(mailHostname(options.domain));
  const [ds, dnskey, tlsa] = await Promise.all([
    delv(options.domain, "DS", options),
    delv(options.domain, "DNSKEY", options),
    delv(tlsaName, "TLSA", options),
  ]);
  const findings = [judgeDs(options.domain, ds), judgeDnskey(options.domain, dnskey), judgeTlsa(tlsaName, tlsa)];
  const worst = worstLevel(findings.map((f) => f.level));
  return { domain: options.domain, checkedAt: now.toISOString(), findings, worst, exitCode: exitCodeOf(worst), daneLive: worst === "ok" };
}

export function renderDnssecReport(report: DnssecReport): string {
  const lines = [`${report.domain}: DNSSEC and DANE, checked ${report.checkedAt}`];
  const label = { ds: "DS", dnskey: "DNSKEY", tlsa: "TLSA" } as const;
  for (const f of report.findings) {
    lines.push(`  ${label[f.check].padEnd(7)}${f.level.padEnd(12)}${f.name}: ${f.summary}`);
    for (const record of f.records) lines.push(`${" ".repeat(21)}${record}`);
  }
  lines.push(report.daneLive ? "DANE is live." : "DANE is not live yet.");
  lines.push(`worst: ${report.worst} (exit ${report.exitCode})`);
  return lines.join("\n");
}
