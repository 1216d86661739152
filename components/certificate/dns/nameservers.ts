/** Finds the authoritative name servers that must show a challenge record before the CA looks. */

/**
 * Walks up from `recordName` to the closest name that has NS records (the zone cut) and
 * returns the addresses of those servers, as the system resolver sees them.
 */
export async function discoverAuthoritativeServers(recordName: string): Promise<string[]> {
  const dns: typeof import("node:dns") = require("node:dns");
  const labels = recordName.replace(/\.$/, "").split(".");
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = labels.slice(i).join(".");
    let hosts: string[];
    try {
      hosts = await dns.promises.resolveNs(candidate);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ENODATA" || code === "ENOTFOUND") continue;
      throw new Error(`looking up the name servers of ${candidate} failed (${code ?? String(error)})`);
    }
    if (hosts.length === 0) continue;
    const addresses = await Promise.all(hosts.map((host) => addressesOf(dns, host)));
    const unique = [...new Set(addresses.flat())];
    if (unique.length === 0) throw new Error(`the name servers of ${candidate} (${hosts.join(", ")}) have no addresses`);
    return unique;
  }
  throw new Error(`found no name servers for ${recordName}; set propagation.nameservers`);
}

async function addressesOf(dns: typeof import("node:dns"), host: string): Promise<string[]> {
  const [v4, v6] = await Promise.allSettled([dns.promises.resolve4(host), dns.promises.resolve6(host)]);
  const ipv4 = v4.status === "fulfilled" ? v4.value : [];
  // Hosts without IPv6 routes cannot ask over IPv6, so IPv6 is only a fallback.
  return ipv4.length > 0 ? ipv4 : v6.status === "fulfilled" ? v6.value : [];
}
