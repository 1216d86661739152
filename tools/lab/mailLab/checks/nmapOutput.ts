/** nmap's normal output, read per port: the state, and what ssl-enum-ciphers found. */

export interface NmapPort {
  readonly port: number;
  readonly state: string;
  /** Protocol versions ssl-enum-ciphers lists ("TLSv1.2", ...), empty when it did not run or found none. */
  readonly protocols: string[];
  /** Each offered suite with its grade, per protocol. */
  readonly ciphers: { readonly protocol: string; readonly name: string; readonly grade: string }[];
  readonly leastStrength?: string;
}

export function parseNmapPorts(output: string): NmapPort[] {
  const ports: { port: number; state: string; protocols: string[]; ciphers: NmapPort["ciphers"][number][]; leastStrength?: string }[] = [];
  let protocol = "";
  for (const line of output.split("\n")) {
    const port = /^(\d+)\/tcp\s+(\S+)/.exec(line);
    if (port) {
      ports.push({ port: Number(port[1]), state: port[2]!, protocols: [], ciphers: [] });
      protocol = "";
      continue;
    }
    const current = ports[ports.length - 1];
    if (!current || !line.startsWith("|")) continue;
    const version = /^\|\s+((?:TLS|SSL)v[0-9.]+):\s*$/.exec(line);
    if (version) {
      protocol = version[1]!;
      current.protocols.push(protocol);
      continue;
    }
    const cipher = /^\|\s+(TLS_\S+)\s.*-\s+([A-F])\s*$/.exec(line);
    if (cipher && protocol) {
      current.ciphers.push({ protocol, name: cipher[1]!, grade: cipher[2]! });
      continue;
    }
    const least = /least strength:\s+([A-F])/.exec(line);
    if (least) current.leastStrength = least[1];
  }
  return ports;
}

/** Ports nmap reports reachable (open or closed); the rest were filtered and go unlisted. */
export function reachablePorts(ports: readonly NmapPort[]): number[] {
  return ports.filter((p) => p.state === "open" || p.state === "closed").map((p) => p.port).sort((a, b) => a - b);
}
