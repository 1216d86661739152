/**
 * The ACME lab: Knot DNS serving the lab zones and Pebble validating against it. What the
 * certificate tests, the benchmark and the mail lab start.
 */

import type { Rfc2136SolverConfig } from "../../../components/certificate/dns/solver";
import { startKnot, type KnotServer } from "./knot";
import { ensureAcmeLabPackages } from "./packages";
import { startPebble, type PebbleServer } from "./pebble";

export interface AcmeLabOptions {
  /** Zones the lab's DNS serves; default ["acme.test"]. */
  readonly zones?: readonly string[];
}

export interface AcmeLab {
  /** The ACME directory URL of the lab's Pebble. */
  readonly directoryUrl: string;
  /** Trust this for Pebble's HTTPS (AcmeCertificate's directoryCaPem). */
  readonly caPem: string;
  /** The root that issued certificates chain to. */
  readonly issuingRootPem: string;
  /** "127.0.0.1:<port>" of the authoritative DNS server (Knot) Pebble validates against. */
  readonly dnsServer: string;
  readonly dns: KnotServer;
  readonly pebble: PebbleServer;
  /** RFC 2136 solver settings for `zone` (default: the first zone). */
  solverConfig(zone?: string): Rfc2136SolverConfig;
  stop(): Promise<void>;
}

export async function startAcmeLab(options: AcmeLabOptions = {}): Promise<AcmeLab> {
  ensureAcmeLabPackages();
  const zones = options.zones ?? ["acme.test"];
  const dns = await startKnot({ zones });
  let pebble: PebbleServer;
  try {
    pebble = await startPebble({ dnsServer: dns.address });
  } catch (error) {
    await dns.stop();
    throw error;
  }
  return {
    directoryUrl: pebble.directoryUrl,
    caPem: pebble.caPem,
    issuingRootPem: pebble.issuingRootPem,
    dnsServer: dns.address,
    dns,
    pebble,
    solverConfig: (zone = zones[0]!) => dns.solverConfig(zone),
    stop: async () => {
      await Promise.allSettled([pebble.stop(), dns.stop()]);
    },
  };
}
