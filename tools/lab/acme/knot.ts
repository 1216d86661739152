/**
 * Knot DNS as the lab's authoritative server: zones on 127.0.0.1 at a free port, and a TSIG key
 * that may update TXT records only (what a DNS-01 solver needs and nothing more).
 */

import { randomBytes } from "node:crypto";
import * as dns from "node:dns";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Rfc2136SolverConfig } from "../../../components/certificate/dns/solver";
import { renderKnotConf } from "../dns/knotConf";
import { startDaemon, waitUntilReady } from "./daemon";
import { findProgram } from "./packages";
import { freeLoopbackPort } from "./ports";

export interface KnotOptions {
  /** Zones to serve, e.g. ["acme.test"]; each starts with SOA and NS only. */
  readonly zones: readonly string[];
}

export interface KnotServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** "127.0.0.1:<port>", the form pebble -dnsserver and node:dns take. */
  readonly address: string;
  readonly zones: readonly string[];
  readonly tsig: { readonly name: string; readonly algorithm: "hmac-sha256"; readonly secret: string };
  /** The RFC 2136 solver configuration that updates `zone` on this server. */
  solverConfig(zone: string): Rfc2136SolverConfig;
  /** TXT values at `name`, asked of this server. */
  txt(name: string): Promise<string[]>;
  /** The zone's SOA serial: every accepted update raises it by one. */
  serial(zone: string): Promise<number>;
  stop(): Promise<void>;
}

const startTimeoutMs = 10_000;

export async function startKnot(options: KnotOptions): Promise<KnotServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "acme-lab-knot-"));
  try {
    const port = await freeLoopbackPort(true);
    const tsig = { name: "acme-update", algorithm: "hmac-sha256" as const, secret: randomBytes(32).toString("base64") };
    for (const zone of options.zones) fs.writeFileSync(path.join(dir, `${zone}.zone`), zoneFile(zone));
    const zones = options.zones.map((zone) => ({ domain: zone, file: `${zone}.zone` }));
    fs.writeFileSync(path.join(dir, "knot.conf"), renderKnotConf({ dir, listen: [`127.0.0.1@${port}`], txtUpdateKey: tsig, zones }), { mode: 0o600 });

    const daemon = startDaemon("knotd", dir, findProgram("knotd") ?? "knotd", ["-c", path.join(dir, "knot.conf")]);
    const address = `127.0.0.1:${port}`;
    // A local server answers at once; the slack is for a test process whose event loop is busy.
    const resolver = new dns.promises.Resolver({ timeout: 2_000, tries: 2 });
    resolver.setServers([address]);
    try {
      const serving = async () => {
        await Promise.all(options.zones.map((zone) => resolver.resolveSoa(zone)));
        return true;
      };
      await waitUntilReady(daemon, serving, startTimeoutMs);
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return {
      host: "127.0.0.1",
      port,
      address,
      zones: options.zones,
      tsig,
      solverConfig: (zone) => ({ kind: "rfc2136", server: "127.0.0.1", port, zone, tsigKeyName: tsig.name, tsigAlgorithm: tsig.algorithm, tsigSecret: tsig.secret }),
      txt: async (name) => {
        try {
          return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(""));
        } catch (error) {
          if ((error as { code?: string }).code === "ENODATA" || (error as { code?: string }).code === "ENOTFOUND") return [];
          throw error;
        }
      },
      serial: async (zone) => (await resolver.resolveSoa(zone)).serial,
      stop: () => daemon.stop(),
    };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function zoneFile(zone: string): string {
  return [`$ORIGIN ${zone}.`, "$TTL 60", "@ SOA ns1 hostmaster 1 3600 600 86400 60", "@ NS ns1", "ns1 A 127.0.0.1", ""].join("\n");
}
