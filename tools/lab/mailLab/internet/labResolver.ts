/**
 * The internet's validating resolver: Debian's unbound in the lab's client namespace, starting
 * from the lab's root hints and trusting only the lab root's key, as a public resolver trusts
 * the real root. Every internet client (the remote MTA, the mail client, Pebble) asks it, so a
 * tenant zone that does not validate fails here as it would out there.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { startDaemon, waitUntilReady } from "../../acme/daemon";
import { findProgram } from "../../acme/packages";
import type { AddressPair, LabSubnet } from "../../net/addressPlan";
import type { LabDns } from "../../dns";
import { run } from "../../net/run";
import { reverseZoneLines } from "../labAdaptations";

export interface LabResolver {
  readonly address: AddressPair;
  /** unbound's recent output, for error messages. */
  log(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

export async function startLabResolver(namespace: string, address: AddressPair, subnet: LabSubnet, dns: LabDns, parentDir: string): Promise<LabResolver> {
  const unbound = findProgram("unbound");
  if (!unbound) throw new Error("the lab resolver needs unbound: apt-get install -y --no-install-recommends unbound");
  const dir = fs.mkdtempSync(path.join(parentDir, "resolver-"));
  fs.writeFileSync(path.join(dir, "root.hints"), dns.rootHints);
  fs.writeFileSync(path.join(dir, "root.key"), dns.rootTrustAnchor);
  fs.writeFileSync(path.join(dir, "unbound.conf"), resolverConfig(dir, address, subnet));
  const daemon = startDaemon("unbound (lab resolver)", dir, "ip", ["netns", "exec", namespace, unbound, "-d", "-c", path.join(dir, "unbound.conf")]);
  try {
    await waitUntilReady(daemon, async () => {
      const answer = await run("ip", ["netns", "exec", namespace, "kdig", `@${address.v4}`, "+dnssec", "+timeout=1", "+retry=0", ".", "SOA"], { timeoutMs: 5_000 });
      return /status: NOERROR/.test(answer.stdout) && /^;; Flags: [^;]*\bad\b/m.test(answer.stdout);
    }, START_TIMEOUT_MS);
  } catch (error) {
    await daemon.stop();
    throw new Error(`the lab resolver did not validate the lab root: ${(error as Error).message}`);
  }
  return { address, log: () => daemon.output(), stop: () => daemon.stop() };
}

/** The longest the lab resolver keeps an answer: after it, a changed record is what it serves. */
export const labResolverCacheMaxTtlSeconds = 5;

function resolverConfig(dir: string, address: AddressPair, subnet: LabSubnet): string {
  return `server:
    directory: "${dir}"
    chroot: ""
    username: ""
    pidfile: "${dir}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    val-log-level: 2
    interface: ${address.v4}
    interface: ${address.v6}
    do-ip6: yes
    access-control: ${subnet.cidr.v4} allow
    access-control: ${subnet.cidr.v6} allow
    root-hints: "${dir}/root.hints"
    trust-anchor-file: "${dir}/root.key"
    module-config: "validator iterator"
    # The lab's addresses' reverse zones are the lab root's (see labAdaptations.ts).
${reverseZoneLines(subnet).join("\n")}
    # The lab's zones change while it runs (challenge records, the apply-safety check): never serve stale answers for long.
    cache-max-ttl: ${labResolverCacheMaxTtlSeconds}
    cache-max-negative-ttl: 1
remote-control:
    control-enable: no
`;
}
