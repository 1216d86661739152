/** Checks every TLS listener of a host at once. */

import { exitCodeOf, worstLevel, type Level } from "./levels";
import { probe, type ProbeResult } from "./probe";
import { checkedServices, type Service } from "./services";

export interface CheckOptions {
  readonly host: string;
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
  const results = await Promise.all(
    services.map((service) =>
      probe(
        {
          host: options.host,
          ...(options.address ? { address: options.address } : {}),
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
