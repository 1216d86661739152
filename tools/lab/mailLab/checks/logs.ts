/**
 * No unexpected warning in any log of the host while the checks ran: every warning, error, fatal or
 * critical line of the daemons' log files and of the journal is either the expected echo of a lab
 * probe from that probe's own address (a TLS 1.0 handshake refused for the TLS prober, an anvil
 * refusal for the connection prober, a failed login for the attacker) or a finding.
 */

import type { AddressPair } from "../../net/addressPlan";
import type { LogMark, MailLab } from "../mailLab";
import { verdict, type LabCheck } from "./check";

/** The host's log files the lab reads (the service table's, and the ones Debian's packages write). */
export const hostLogFiles = ["/var/log/mail.log", "/var/log/dovecot.log", "/var/log/rspamd/rspamd.log", "/var/log/nginx/error.log", "/var/log/fail2ban.log"] as const;

const SEVERE = /\b(warning|warn|error|fatal|panic|crit|critical|alert|emerg)\b/i;

/** What each probe may leave in the logs, from its own address only. */
function expectedEchoes(lab: MailLab): { who: string; address: AddressPair; pattern: RegExp }[] {
  const a = lab.internet.addresses;
  const tls = /TLS library problem|Refusing TLS service|SSL|handshak|unsupported protocol|no shared cipher|version|lost connection|rate limit exceeded|improper command pipelining/i;
  return [
    { who: "scanner", address: a.scanner, pattern: tls },
    { who: "TLS prober", address: a.tlsProber, pattern: tls },
    { who: "connection prober", address: a.connectionProber, pattern: /rate limit exceeded/i },
    { who: "attacker", address: a.attacker, pattern: /authentication failed|SASL|auth|password mismatch|Ban |Found /i },
    { who: "relay prober", address: a.relayProber, pattern: /Illegal address syntax|Relay access denied|reject|RCPT/i },
  ];
}

/** Marks where the logs stand: the check reads only what comes after. */
export async function markLogs(lab: MailLab): Promise<LogMark> {
  const sizes: Record<string, number> = {};
  const stat = await lab.host.exec(`for f in ${hostLogFiles.join(" ")}; do printf '%s %s\\n' "$f" "$(stat -c %s "$f" 2>/dev/null || echo 0)"; done; date -u '+%Y-%m-%d %H:%M:%S'`);
  const lines = stat.stdout.trim().split("\n");
  for (const line of lines.slice(0, -1)) {
    const [file, size] = line.split(" ");
    sizes[file!] = Number(size);
  }
  return { sizes, journalSince: lines[lines.length - 1]! };
}

/** Every log line written since the mark, each prefixed with where it came from. */
async function linesSince(lab: MailLab, mark: LogMark): Promise<{ source: string; line: string }[]> {
  const out: { source: string; line: string }[] = [];
  for (const file of hostLogFiles) {
    const read = await lab.host.exec(`[ -f ${file} ] && tail -c +${(mark.sizes[file] ?? 0) + 1} ${file} || true`, { timeoutMs: 30_000 });
    for (const line of read.stdout.split("\n")) if (line.trim()) out.push({ source: file, line });
  }
  const journal = await lab.host.exec(`journalctl -q --no-pager -o short-iso -p warning --since '${mark.journalSince}'`, { timeoutMs: 30_000 });
  for (const line of journal.stdout.split("\n")) if (line.trim()) out.push({ source: "journal", line });
  return out;
}

export function unexpectedLines(lab: MailLab, lines: readonly { source: string; line: string }[]): string[] {
  const echoes = expectedEchoes(lab);
  // A TLS warning names no client: smtpd's process serves the one its last "connect from" named.
  const clientOf = new Map<string, string>();
  const unexpected: string[] = [];
  for (const { source, line } of lines) {
    const pid = /\[(\d+)\]:/.exec(line)?.[1];
    const connect = /\]: connect from [^[]*\[(?:IPv6:)?([0-9a-f.:]+)\]/i.exec(line);
    if (pid && connect) clientOf.set(`${source} ${pid}`, connect[1]!);
    if (!SEVERE.test(line)) continue;
    const addresses = [...(line.match(/[0-9a-f]*:[0-9a-f:]+|\d+\.\d+\.\d+\.\d+/gi) ?? [])];
    const client = pid ? clientOf.get(`${source} ${pid}`) : undefined;
    if (client) addresses.push(client);
    const echo = echoes.some((e) => e.pattern.test(line) && addresses.some((x) => x === e.address.v4 || x === e.address.v6));
    if (!echo) unexpected.push(`${source}: ${line}`);
  }
  return unexpected;
}

export const logsClean: LabCheck = {
  name: "logs.clean",
  proves: "no warning, error or fatal line in the host's logs or journal during the checks, beyond the expected echoes of the lab's own probes",
  async run(lab) {
    if (!lab.logMark) throw new Error("the logs were not marked before the checks");
    const lines = await linesSince(lab, lab.logMark);
    const unexpected = unexpectedLines(lab, lines);
    const shown = unexpected.slice(0, 5).map((l) => l.slice(0, 300));
    return verdict(unexpected.length === 0 ? [] : [`${unexpected.length} unexpected line(s): ${shown.join(" || ")}`], `${lines.length} lines read from ${hostLogFiles.length} files and the journal; every severe one is a probe's expected echo`);
  },
};
