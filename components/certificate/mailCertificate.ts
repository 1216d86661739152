import * as pulumi from "@pulumi/pulumi";
import type { TenantConfig } from "../../tenant/tenantConfig";
import { mailHostname, mtaStsHostname } from "../../tenant/names";
import type { AcmeAccount } from "./acmeAccount";
import { AcmeCertificate } from "./acmeCertificate";
import type { CertificateKeySet } from "./certificateKeys";

export interface MailCertificateArgs {
  readonly config: TenantConfig;
  /** Cloudflare token limited to DNS edit on the tenant zone: the DNS-01 challenge's TXT records. */
  readonly dnsApiToken: pulumi.Input<string>;
  /** The keys: the certificate is issued for the current one. */
  readonly keys: CertificateKeySet;
  /** The account that orders, and its key. */
  readonly account: { readonly resource: AcmeAccount; readonly accountKeyPem: pulumi.Input<string> };
  /**
   * DNS records that must be in place before an order: the CAA records (the CA checks them at
   * issuance) and the TLSA records (a new key is published before the certificate for it exists).
   */
  readonly trustRecords: readonly pulumi.Resource[];
}

/** The tenant's certificate for mail. and mta-sts., from Let's Encrypt over DNS-01 on Cloudflare. */
export class MailCertificate extends pulumi.ComponentResource {
  readonly certificate: AcmeCertificate;
  /** Leaf then intermediates: what Postfix, Dovecot and nginx serve. */
  readonly fullchainPem: pulumi.Output<string>;
  /** The key the certificate was issued for (which is the key set's current key once the update succeeded). */
  readonly privateKeyPem: pulumi.Output<string>;

  constructor(name: string, args: MailCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("penguinmails:mail:MailCertificate", name, {}, opts);
    const { config } = args;
    this.certificate = new AcmeCertificate(`${name}-certificate`, {
      directory: config.acme.directory,
      accountKeyPem: args.account.accountKeyPem,
      accountUri: args.account.resource.accountUri,
      contactEmail: config.alertEmail,
      domains: [mailHostname(config.domain), mtaStsHostname(config.domain)],
      privateKeyPem: args.keys.currentPrivateKeyPem,
      keyType: args.keys.currentKeyType,
      renewBeforeDays: config.acme.renewBeforeDays,
      revokeOnDelete: config.acme.revokeOnDelete,
      solver: { kind: "cloudflare", zoneId: config.cloudflareZoneId, apiToken: args.dnsApiToken },
    }, { parent: this, dependsOn: [args.account.resource, ...args.trustRecords] });
    this.fullchainPem = pulumi.interpolate`${this.certificate.certificatePem}${this.certificate.chainPem}`;
    this.privateKeyPem = pulumi.secret(this.certificate.privateKeyPem);
    this.registerOutputs({ notAfter: this.certificate.notAfter, serial: this.certificate.serial });
  }
}
