/**
 * Points a booted lab host's DNSSEC at the lab's root instead of the internet's: a lab-only
 * step, outside the host bundle, which stays exactly what ships to a droplet. It replaces
 * dns-root-data's two files, the ones a droplet's unbound starts from: the trust anchor
 * (unbound-helper seeds /var/lib/unbound/root.key from it before every start, when it is newer)
 * and the root hints the bundle's unbound.conf names.
 */

import { dnsRootDataTrustAnchorFile, unboundRootHintsFile, unboundRootTrustAnchorFile } from "../../../hostBundle/render/mail/unboundConf";
import type { DebianHost } from "../debianHost";
import { startLabDns, type LabDns, type LabZone } from "./labDns";

/**
 * Installs the lab root's trust anchor and hints on the host, drops the anchor unbound already
 * seeded (and may have updated by RFC 5011) from the real root's, and restarts unbound if it runs,
 * so that its start-up seeds the lab anchor as on a fresh droplet.
 */
export async function trustLabRoot(host: DebianHost, dns: LabDns): Promise<void> {
  for (const [file, content] of [
    [dnsRootDataTrustAnchorFile, dns.rootTrustAnchor],
    [unboundRootHintsFile, dns.rootHints],
  ] as const) {
    const written = await host.exec(`install -d -m 0755 ${dirname(file)} && cat > ${file}.lab && chmod 0644 ${file}.lab && mv -f ${file}.lab ${file}`, { input: content });
    if (written.code !== 0) throw new Error(`writing ${file} on lab host ${host.name} failed: ${written.stderr}`);
  }
  const restarted = await host.exec(`rm -f ${unboundRootTrustAnchorFile} && systemctl try-restart unbound.service`);
  if (restarted.code !== 0) throw new Error(`restarting unbound on lab host ${host.name} failed: ${restarted.stderr}${restarted.stdout}`);
}

/**
 * The lab DNS on a lab host's link (knot in its client namespace, on the first spare address),
 * with the host trusting its root. Stop it before the host.
 */
export async function startLabDnsFor(host: DebianHost, zones: readonly LabZone[], tld?: string): Promise<LabDns> {
  const dns = await startLabDns({
    netns: host.namespaces.client,
    address: host.subnet.spare[0]!,
    prefixLength: host.subnet.prefixLength,
    tld,
    zones,
  });
  try {
    await trustLabRoot(host, dns);
    return dns;
  } catch (error) {
    await dns.stop();
    throw error;
  }
}

function dirname(file: string): string {
  return file.slice(0, file.lastIndexOf("/")) || "/";
}
