/**
 * A TLS certificate from an ACME CA (Let's Encrypt) validated with DNS-01, for a key it is given
 * (CertificateKeySet's current key).
 *
 * Renewal is an update: once `renewBeforeDays` or fewer remain, the next `pulumi up` issues a new
 * certificate for the same key, so the TLSA record naming the key stays valid. A new key, new names
 * or another CA are updates too. The certificate is revoked only when the resource is deleted (a
 * tenant leaving), unless `revokeOnDelete` is false.
 */

import * as pulumi from "@pulumi/pulumi";
import type { CertificateKeyType } from "../../baseline/certificates";
import type { TsigAlgorithm } from "./dns/solver";
import { checkCertificateInputs } from "./inputs";
import { acmeCertificateProvider } from "./provider";

export interface CloudflareSolverArgs {
  readonly kind: "cloudflare";
  /** The tenant zone's id. */
  readonly zoneId: pulumi.Input<string>;
  /** A token with Zone / DNS / Edit on that zone only. Kept secret. */
  readonly apiToken: pulumi.Input<string>;
  /** For tests: a local stand-in for https://api.cloudflare.com/client/v4 (http only on loopback). */
  readonly apiBaseUrl?: pulumi.Input<string>;
}

export interface Rfc2136SolverArgs {
  readonly kind: "rfc2136";
  /** IP address of the primary server that accepts TSIG-signed updates. */
  readonly server: pulumi.Input<string>;
  /** Default 53. */
  readonly port?: pulumi.Input<number>;
  readonly zone: pulumi.Input<string>;
  readonly tsigKeyName: pulumi.Input<string>;
  /** Default hmac-sha256. */
  readonly tsigAlgorithm?: pulumi.Input<TsigAlgorithm>;
  /** Base64. Kept secret. */
  readonly tsigSecret: pulumi.Input<string>;
}

export type Dns01SolverArgs = CloudflareSolverArgs | Rfc2136SolverArgs;

export interface PropagationArgs {
  /**
   * The servers that must answer with the TXT record before the CA is asked to validate:
   * "ip", "ip:port" or "[ipv6]:port". Default: the RFC 2136 server, or the zone's NS set.
   */
  readonly nameservers?: pulumi.Input<pulumi.Input<string>[]>;
  /** Default 120. */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

export interface AcmeCertificateArgs {
  /** "letsencrypt", "letsencrypt-staging", or the https:// URL of any ACME directory. */
  readonly directory: pulumi.Input<string>;
  /** Extra CA to trust for the directory's HTTPS, for test CAs such as Pebble. */
  readonly directoryCaPem?: pulumi.Input<string>;
  /** The ACME account key: `privateKeyPem` of a tls.PrivateKey, ECDSA P256. Kept secret. */
  readonly accountKeyPem: pulumi.Input<string>;
  /** AcmeAccount's accountUri: the certificate is ordered by this account, the one the CAA record names. */
  readonly accountUri?: pulumi.Input<string>;
  /** The certificate's key (PEM), CertificateKeySet's currentPrivateKeyPem. Kept secret. */
  readonly privateKeyPem: pulumi.Input<string>;
  /** Where the CA sends account notices. */
  readonly contactEmail: pulumi.Input<string>;
  /** Names on the certificate, the first one its subject: mail.<domain> and mta-sts.<domain>. */
  readonly domains: pulumi.Input<pulumi.Input<string>[]>;
  /** The type of privateKeyPem (checked against it); default "ecdsa-p256". */
  readonly keyType?: pulumi.Input<CertificateKeyType>;
  /** Renew when this many days or fewer remain; default from baseline/tls.ts. */
  readonly renewBeforeDays?: pulumi.Input<number>;
  readonly solver: pulumi.Input<Dns01SolverArgs>;
  readonly propagation?: pulumi.Input<PropagationArgs>;
  /** Revoke the certificate when the resource is deleted; default true. */
  readonly revokeOnDelete?: pulumi.Input<boolean>;
}

export class AcmeCertificate extends pulumi.dynamic.Resource {
  declare public readonly domains: pulumi.Output<string[]>;
  declare public readonly keyType: pulumi.Output<CertificateKeyType>;
  /** The leaf certificate (PEM). */
  declare public readonly certificatePem: pulumi.Output<string>;
  /** The intermediates (PEM), leaf excluded. */
  declare public readonly chainPem: pulumi.Output<string>;
  /** The key the certificate in certificatePem was issued for. Secret. */
  declare public readonly privateKeyPem: pulumi.Output<string>;
  /** Why the last update issued a new certificate (renewal, new key, new names, another CA). */
  declare public readonly reissue: pulumi.Output<string | undefined>;
  /** ISO 8601. */
  declare public readonly notBefore: pulumi.Output<string>;
  declare public readonly notAfter: pulumi.Output<string>;
  /** Lower-case hex. */
  declare public readonly serial: pulumi.Output<string>;

  constructor(name: string, args: AcmeCertificateArgs, opts?: pulumi.CustomResourceOptions) {
    rejectBadKnownArgs(name, args, opts);
    super(
      acmeCertificateProvider,
      name,
      {
        ...args,
        accountKeyPem: pulumi.secret(args.accountKeyPem),
        privateKeyPem: pulumi.secret(args.privateKeyPem),
        solver: pulumi.secret(args.solver),
        certificatePem: undefined,
        chainPem: undefined,
        reissue: undefined,
        notBefore: undefined,
        notAfter: undefined,
        serial: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "privateKeyPem", "accountKeyPem", "solver"],
      },
      "certificate",
      "AcmeCertificate",
    );
  }
}

/**
 * Fails `pulumi preview` early, without a stack trace, on inputs that are already known and
 * wrong; the provider's check catches the rest once values are resolved.
 */
function rejectBadKnownArgs(name: string, args: AcmeCertificateArgs, opts: pulumi.CustomResourceOptions | undefined): void {
  const known: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (isPlain(value)) known[key] = value;
  }
  const { failures } = checkCertificateInputs(known);
  const relevant = failures.filter((f) => f.reason !== "is required" || (args as unknown as Record<string, unknown>)[f.property] === undefined);
  if (relevant.length === 0) return;
  const message = relevant.map((f) => `${f.property} ${f.reason}`).join("; ");
  throw new pulumi.ResourceError(`AcmeCertificate ${name}: ${message}`, opts?.parent, true);
}

function isPlain(value: unknown): boolean {
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return false;
  if (Array.isArray(value)) return value.every(isPlain);
  if (value !== null && typeof value === "object") return Object.values(value).every(isPlain);
  return true;
}
