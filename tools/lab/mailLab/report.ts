/** The run's results: a table for the terminal, the JSON document for --json, the topology in both. */

import type { PhaseTime } from "./progress";
import type { MailLab } from "./mailLab";
import type { CheckResult } from "./runChecks";

export interface Topology {
  readonly internetNamespace: string;
  readonly hostNamespace: string;
  readonly labHost: string;
  readonly domain: string;
  readonly mailHostname: string;
  readonly mxIpv4: string;
  readonly mxIpv6: string;
  /** The validating resolver every internet client uses. */
  readonly resolver: { readonly v4: string; readonly v6: string };
  readonly authoritativeDns: { readonly v4: string; readonly v6: string };
  readonly adminAddress: { readonly v4: string; readonly v6: string };
  readonly remoteMta: { readonly hostname: string; readonly v4: string; readonly v6: string; readonly maildir: string; readonly log: string };
  readonly roles: Readonly<Record<string, { readonly v4: string; readonly v6: string }>>;
  readonly acmeDirectory: string;
  readonly caFile: string;
}

export function topologyOf(lab: MailLab): Topology {
  return {
    internetNamespace: lab.internet.name,
    hostNamespace: lab.host.namespaces.host,
    labHost: lab.name,
    domain: lab.domain,
    mailHostname: lab.mailHostname,
    mxIpv4: lab.host.address.v4,
    mxIpv6: lab.host.address.v6,
    resolver: lab.resolver.address,
    authoritativeDns: lab.dns.address,
    adminAddress: lab.host.runnerAddress,
    remoteMta: { hostname: lab.remoteMta.hostname, ...lab.remoteMta.address, maildir: lab.remoteMta.maildir, log: lab.remoteMta.logFile },
    roles: { ...lab.internet.addresses },
    acmeDirectory: lab.pebble.directoryUrl,
    caFile: lab.caFile,
  };
}

export interface LabReport {
  readonly stack: string;
  readonly ok: boolean;
  /** Set when a setup phase failed and the checks could not run. */
  readonly error?: string;
  readonly weakenings: readonly string[];
  readonly labChanges: readonly string[];
  readonly phases: readonly PhaseTime[];
  readonly totalMs: number;
  readonly checks: readonly CheckResult[];
  readonly topology?: Topology;
}

const DETAIL_WIDTH = 110;

export function renderTable(checks: readonly CheckResult[]): string {
  const nameWidth = Math.max(5, ...checks.map((c) => c.name.length));
  const lines = [`${"check".padEnd(nameWidth)}  result  time    detail`, `${"-".repeat(nameWidth)}  ------  ------  ${"-".repeat(40)}`];
  for (const c of checks) {
    const detail = c.detail.length > DETAIL_WIDTH ? `${c.detail.slice(0, DETAIL_WIDTH - 1)}…` : c.detail;
    lines.push(`${c.name.padEnd(nameWidth)}  ${(c.ok ? "ok" : "FAILED").padEnd(6)}  ${`${(c.ms / 1000).toFixed(1)} s`.padStart(6)}  ${detail}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  lines.push("", failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks FAILED`);
  return lines.join("\n");
}

export function renderPhases(phases: readonly PhaseTime[], totalMs: number): string {
  return `phases: ${phases.map((p) => `${p.name} ${(p.ms / 1000).toFixed(1)} s`).join(", ")}; total ${(totalMs / 1000).toFixed(1)} s`;
}

/** How a person reaches each part of a kept lab. */
export function renderAccess(lab: MailLab): string {
  const t = topologyOf(lab);
  return [
    "The lab stays up. Reach it:",
    `  the droplet (${t.mailHostname}, ${t.mxIpv4} ${t.mxIpv6}):`,
    `    ssh ${lab.host.sshArgs().map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(" ")}`,
    `    npx tsx tools/lab/debianHost/cli.ts exec ${t.labHost} -- bash        (root, no SSH)`,
    `  the internet (scanner ${t.roles.scanner?.v4}, sender ${t.roles.sender?.v4}, resolver ${t.resolver.v4}):`,
    `    ip netns exec ${t.internetNamespace} bash`,
    `    e.g. ip netns exec ${t.internetNamespace} swaks --server ${t.mxIpv4} --to ${lab.plan.config.alertEmail} --from someone@${lab.remoteDomain} -tls`,
    `  DNS: kdig @${t.resolver.v4} +dnssec MX ${t.domain}   (authoritative: ${t.authoritativeDns.v4})`,
    `  the remote MTA ${t.remoteMta.hostname} (${t.remoteMta.v4}): Maildir ${t.remoteMta.maildir}, log ${t.remoteMta.log}`,
    `  Pebble: ${t.acmeDirectory}; the lab root: ${t.caFile}`,
    `  mailbox passwords are random and never shown; read mail as root on the host: doveadm fetch -u ${lab.plan.config.alertEmail} 'hdr.subject' all`,
    "Remove it with Ctrl-C here, or from another terminal: npm run lab -- down",
  ].join("\n");
}
