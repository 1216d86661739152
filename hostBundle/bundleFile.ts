/** The daemons the apply script validates and reloads; each rendered file belongs to one. */
export type HostService =
  | "postfix"
  | "dovecot"
  | "rspamd"
  | "unbound"
  | "mta-sts-resolver"
  | "rate-limit-policy"
  | "fail2ban"
  | "nftables"
  | "ssh"
  | "nginx"
  | "unattended-upgrades"
  | "needrestart"
  | "disk-alert";

/** One file of the host bundle, exactly as it lands on the host. */
export interface BundleFile {
  /** Absolute path on the host. */
  readonly path: string;
  readonly content: string;
  /** Permission bits, e.g. 0o644; keys are 0o600. */
  readonly mode: number;
  readonly owner: string;
  readonly group: string;
  /** The service whose checker validates this file and which is reloaded when it changes. */
  readonly service: HostService;
  /** Content is a secret (a private key, password hashes): never printed, never in a plan's output. */
  readonly secret?: boolean;
}
