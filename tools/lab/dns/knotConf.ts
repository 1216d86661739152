/**
 * knot.conf for every Knot DNS server the lab and the tests start: one process per use, with its
 * database, keys, zone files and sockets under one directory that goes away with it.
 */

export interface KnotZone {
  /** As knot.conf takes it: "example.test" or "example.test." or ".". */
  readonly domain: string;
  /** Relative to the directory. */
  readonly file: string;
  /** Signed by knot itself under the `stable` policy below. */
  readonly signed?: boolean;
}

/** A TSIG key for DNS-01 solvers: it may update TXT records and nothing else. */
export interface KnotTxtUpdateKey {
  readonly name: string;
  readonly algorithm: "hmac-sha256";
  readonly secret: string;
}

export interface KnotConfOptions {
  readonly dir: string;
  /** "address@port" each. */
  readonly listen: readonly string[];
  readonly zones: readonly KnotZone[];
  /** knotc's socket, for zone edits while it runs. */
  readonly controlSocket?: string;
  /** Needed when knotd forks (-d), so the caller can stop it. */
  readonly pidFile?: string;
  /** Where knotd logs; stderr when absent (the daemon helper collects it). */
  readonly logFile?: string;
  /** Answer no version.bind or id.server queries, as a server facing the internet should not. */
  readonly hideIdentity?: boolean;
  readonly txtUpdateKey?: KnotTxtUpdateKey;
}

function quoted(value: string): string {
  if (/["\\\n]/.test(value)) throw new Error(`knot.conf value ${JSON.stringify(value)} holds a quote, backslash or newline`);
  return `"${value}"`;
}

export function renderKnotConf(options: KnotConfOptions): string {
  const { dir, txtUpdateKey } = options;
  const lines = [
    "server:",
    `    rundir: ${quoted(dir)}`,
    `    listen: [ ${options.listen.map(quoted).join(", ")} ]`,
    ...(options.pidFile ? [`    pidfile: ${quoted(options.pidFile)}`] : []),
    ...(options.hideIdentity ? ['    identity: ""', '    version: ""'] : []),
    "log:",
    `  - target: ${options.logFile ? quoted(options.logFile) : "stderr"}`,
    "    any: info",
    "database:",
    `    storage: ${quoted(`${dir}/db`)}`,
  ];
  if (options.controlSocket) lines.push("control:", `    listen: ${quoted(options.controlSocket)}`);
  if (txtUpdateKey) {
    lines.push(
      "key:",
      `  - id: ${txtUpdateKey.name}`,
      `    algorithm: ${txtUpdateKey.algorithm}`,
      `    secret: ${txtUpdateKey.secret}`,
      "acl:",
      "  - id: txt-update",
      `    key: ${txtUpdateKey.name}`,
      "    action: update",
      "    update-type: [TXT]",
    );
  }
  if (options.zones.some((zone) => zone.signed)) {
    lines.push(
      "policy:",
      "  - id: stable",
      "    algorithm: ecdsap256sha256",
      "    # No key rollovers while it runs: the DS records published at the start stay right.",
      "    ksk-lifetime: 0",
      "    zsk-lifetime: 0",
      "    nsec3: off",
    );
  }
  lines.push(
    "template:",
    "  - id: default",
    `    storage: ${quoted(dir)}`,
    ...(txtUpdateKey ? ["    acl: txt-update"] : []),
    "    # The zones live as long as the process: no zone file writes, no journal.",
    "    zonefile-sync: -1",
    "    journal-content: none",
    "zone:",
  );
  for (const zone of options.zones) {
    lines.push(`  - domain: ${quoted(zone.domain)}`, `    file: ${quoted(zone.file)}`);
    if (zone.signed) lines.push("    dnssec-signing: on", "    dnssec-policy: stable");
  }
  return `${lines.join("\n")}\n`;
}
