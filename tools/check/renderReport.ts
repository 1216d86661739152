/** The report as a person reads it. */

import type { HostReport } from "./checkHost";

export function renderReport(report: HostReport): string {
  const lines = [`${report.host}${report.address ? ` (at ${report.address})` : ""}, checked ${report.checkedAt}`];
  for (const r of report.results) {
    const head = `  ${r.service.padEnd(12)}${String(r.port).padStart(5)}  ${(r.mode === "starttls" ? "STARTTLS" : "TLS").padEnd(8)}  ${r.level.padEnd(11)}`;
    const asked = r.serverName === report.host ? "" : ` (as ${r.serverName})`;
    if (!r.reachable) {
      lines.push(`${head}  ${r.error ?? "no answer"}${asked}`);
      continue;
    }
    const days = r.daysToExpiry === undefined ? "" : r.daysToExpiry < 0 ? `expired ${-r.daysToExpiry} days ago` : `${r.daysToExpiry} days left`;
    lines.push(`${head}  ${days} (until ${r.notAfter}), ${r.tlsVersion}, names: ${(r.subjectNames ?? []).join(", ") || "none"}${asked}`);
    for (const problem of r.problems ?? []) lines.push(`${" ".repeat(head.length)}  ! ${problem}`);
  }
  lines.push(`worst: ${report.worst} (exit ${report.exitCode})`);
  return lines.join("\n");
}
