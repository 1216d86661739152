/**
 * An ACME account at the CA, as its own resource: its URL is known before any certificate is
 * ordered, so the CAA record can bind issuance to it (RFC 8657 accounturi) and be in DNS before
 * the first order.
 */

import * as pulumi from "@pulumi/pulumi";
import { acmeAccountProvider, checkAccountInputs } from "./acmeAccountProvider";

export interface AcmeAccountArgs {
  /** "letsencrypt", "letsencrypt-staging", or the https:// URL of any ACME directory. */
  readonly directory: pulumi.Input<string>;
  /** Extra CA to trust for the directory's HTTPS, for test CAs such as Pebble. */
  readonly directoryCaPem?: pulumi.Input<string>;
  /** The account key: `privateKeyPem` of a tls.PrivateKey, ECDSA P256. Kept secret. */
  readonly accountKeyPem: pulumi.Input<string>;
  /** Where the CA sends account notices. */
  readonly contactEmail: pulumi.Input<string>;
}

export class AcmeAccount extends pulumi.dynamic.Resource {
  /** The account's URL, e.g. https://acme-v02.api.letsencrypt.org/acme/acct/123456789. */
  declare public readonly accountUri: pulumi.Output<string>;

  constructor(name: string, args: AcmeAccountArgs, opts?: pulumi.CustomResourceOptions) {
    const known = Object.fromEntries(Object.entries(args).filter(([, v]) => typeof v === "string"));
    const failures = checkAccountInputs(known).failures.filter((f) => f.reason !== "is required" || (args as unknown as Record<string, unknown>)[f.property] === undefined);
    if (failures.length > 0) {
      throw new pulumi.ResourceError(`AcmeAccount ${name}: ${failures.map((f) => `${f.property} ${f.reason}`).join("; ")}`, opts?.parent, true);
    }
    super(
      acmeAccountProvider,
      name,
      { ...args, accountKeyPem: pulumi.secret(args.accountKeyPem), accountUri: undefined },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "accountKeyPem"] },
      "certificate",
      "AcmeAccount",
    );
  }
}
