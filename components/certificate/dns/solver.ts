/**
 * DNS-01 solvers publish and remove the `_acme-challenge` TXT record of a name.
 *
 * Everything reachable from the dynamic provider must stay serializable by Pulumi's closure
 * serializer: node and npm modules are `require()`d inside functions, never imported at the
 * top of a module (see ARCHITECTURE.md).
 */

export interface Dns01Solver {
  /** Adds one TXT value at `name`; other values already there stay (two orders may overlap). */
  publishTxt(name: string, value: string): Promise<void>;
  /** Removes that one TXT value at `name`; removing a value that is not there succeeds. */
  removeTxt(name: string, value: string): Promise<void>;
  /** Authoritative servers ("ip" or "ip:port") that must show the record, unless configured. */
  defaultNameservers(name: string): Promise<string[]>;
}

export interface CloudflareSolverConfig {
  readonly kind: "cloudflare";
  /** The zone that holds the names (Cloudflare's 32-hex zone id). */
  readonly zoneId: string;
  /** A scoped API token with Zone.DNS edit on that zone only. Secret. */
  readonly apiToken: string;
  /** Defaults to Cloudflare's API; tests point it at a local server. */
  readonly apiBaseUrl?: string;
}

export interface Rfc2136SolverConfig {
  readonly kind: "rfc2136";
  /** The primary server that accepts dynamic updates: an IP address. */
  readonly server: string;
  readonly port?: number;
  /** The zone the challenge names belong to. */
  readonly zone: string;
  readonly tsigKeyName: string;
  readonly tsigAlgorithm?: TsigAlgorithm;
  /** Base64 TSIG secret. Secret. */
  readonly tsigSecret: string;
}

export const tsigAlgorithms = ["hmac-sha256", "hmac-sha384", "hmac-sha512"] as const;
export type TsigAlgorithm = (typeof tsigAlgorithms)[number];

export type Dns01SolverConfig = CloudflareSolverConfig | Rfc2136SolverConfig;
