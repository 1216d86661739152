/** Checks every TLS listener of a host at once. */

import { exitCodeOf, worstLevel, type Level } from "./levels";
import { probe, type ProbeResult } from "./probe";
import { checkedServices, mtaStsHostOf, type Service } from "./services";

export interface CheckOptions {
  readonly host: string;
  /** The MTA-STS policy host served on 443; default mta-sts.<domain> for the host mail.<domain>. */
  readonly mtaStsHost?: string;
  readonly address?: string;
  /** Port overrides by service name (smtp, submissions, submission, imaps, https). */
  readonly ports?: Readonly<Record<string, number>>;
  readonly timeoutMs: number;
  readonly caPem?: string;
}

export interface HostReport {
  readonly host: string;
  readonly address?: string;
  readonly checkedAt: string;
  readonly worst: Level;
  readonly exitCode: number;
  readonly results: readonly ProbeResult[];
}

export async function checkHost(options: CheckOptions, now = new Date()): Promise<HostReport> {
  const services: Service[] = checkedServices.map((s) => ({ ...s, port: options.ports?.[s.name] ?? s.port }));
  const mtaStsHost = options.mtaStsHost ?? mtaStsHostOf(options.host) ?? options.host;
  const results = await Promise.all(
    services.map((service) =>
      probe(
        {
          host: service.serverName === "mtaSts" ? mtaStsHost : options.host,
          // Both names lead to the same droplet: connect where the mail host is.
          address: options.address ?? options.host,
          service,
          timeoutMs: options.timeoutMs,
          ...(options.caPem ? { caPem: options.caPem } : {}),
        },
        now,
      ),
    ),
  );
  const worst = worstLevel(results.map((r) => r.level));
  return {
    host: options.host,
    ...(options.address ? { address: options.address } : {}),
    checkedAt: now.toISOString(),
    worst,
    exitCode: exitCodeOf(worst),
    results,
  };
}
