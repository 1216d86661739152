import type { CertificateKeyType } from "../baseline/certificates";
import type { DmarcPhase } from "../baseline/dns/dmarc";
import type { SshPublicKey } from "../baseline/sshPublicKey";
import type { MailAlias } from "./mailRouting";

/** The Pulumi config namespace every tenant key lives under (the project name). */
export const configNamespace = "penguinmails-mail";

export type QuarantineRollout = { style: "pct"; percent: number } | { style: "testing" };

/** One tenant's settings after validation and normalisation: what every component builds from. */
export interface TenantConfig {
  /** Lowercase A-label form, no trailing dot. */
  readonly domain: string;
  readonly region: string;
  readonly size: string;
  readonly image: string;
  readonly adminUser: string;
  readonly adminCidrs: readonly string[];
  readonly deployCidrs: readonly string[];
  /** The operator accepted SSH sources wider than the default bound (baseline/network.ts). */
  readonly acknowledgeWideSshSources: boolean;
  readonly adminSshPublicKeys: readonly SshPublicKey[];
  readonly alertEmail: string;
  readonly cloudflareZoneId: string;
  readonly dnsTtlSeconds: number;
  readonly dmarc: {
    readonly phase: DmarcPhase;
    readonly rua: readonly string[];
    readonly ruf: readonly string[];
    readonly quarantineRollout: QuarantineRollout;
    readonly adkim: "r" | "s";
    readonly aspf: "r" | "s";
  };
  readonly spf: { readonly all: "softfail" | "fail"; readonly include: readonly string[] };
  readonly dkim: { readonly selectors: readonly string[]; readonly active: string };
  readonly mtaSts: { readonly mode: "testing" | "enforce"; readonly maxAgeSeconds: number };
  readonly tlsRpt: { readonly rua: readonly string[] };
  readonly caa: { readonly iodef: string };
  readonly limits: {
    /** Recipients per authenticated account per hour (one message to 10 recipients counts 10). */
    readonly recipientsPerHourPerAccount: number;
    /** Recipients of one message on the submission ports. */
    readonly recipientsPerMessage: number;
  };
  readonly acme: {
    /** "letsencrypt", "letsencrypt-staging" or an https:// ACME directory URL. */
    readonly directory: string;
    readonly keyType: CertificateKeyType;
    readonly renewBeforeDays: number;
    readonly revokeOnDelete: boolean;
    /** Raise to force a certificate key rollover (once the next key's TLSA record has been out two TTLs). */
    readonly keyRollover: number;
  };
  /** IMAP/SMTP accounts with hashed passwords; Dovecot's passwd-file. None by default. */
  readonly mailboxes: readonly Mailbox[];
  /** Addresses in the tenant domain delivered to a mailbox (each alias ends in one). */
  readonly aliases: readonly MailAlias[];
  readonly tags: readonly string[];
}

export interface Mailbox {
  /** Full address in the tenant domain, also the login name. */
  readonly address: string;
  /** A Dovecot password scheme hash, e.g. `{BLF-CRYPT}$2y$12$...`; never a plain password. */
  readonly passwordHash: string;
  /** Dovecot's storage quota for the mailbox; mail beyond it is refused at RCPT. */
  readonly quotaMegabytes: number;
}

/**
 * Keys read as Pulumi secrets, never through the validated plain config: they stay Outputs marked
 * secret from the config store to the resource that uses them.
 */
export const secretConfigKeys = {
  /** Cloudflare API token limited to DNS edit on the tenant zone, for the ACME DNS-01 challenge. */
  acmeDnsApiToken: "acmeDnsApiToken",
} as const;

/** One problem with one config key, e.g. `penguinmails-mail:adminCidrs[0]`. */
export interface ConfigProblem {
  readonly key: string;
  readonly message: string;
}

export type TenantConfigResult =
  | { ok: true; config: TenantConfig; notices: ConfigProblem[] }
  | { ok: false; problems: ConfigProblem[]; notices: ConfigProblem[] };

/** Every problem, one line each; a message never spans lines, so nothing in it can pose as another. */
export function formatConfigProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => `  ${p.key}: ${p.message.replace(/[\r\n]+/g, " ")}`);
  return `invalid tenant configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}
