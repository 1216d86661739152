import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { TenantConfig } from "../../tenant/tenantConfig";
import { mailHostname, mtaStsHostname } from "../../tenant/names";
import { AcmeCertificate } from "./acmeCertificate";

export interface MailCertificateArgs {
  readonly config: TenantConfig;
  /** Cloudflare token limited to DNS edit on the tenant zone: the DNS-01 challenge's TXT records. */
  readonly dnsApiToken: pulumi.Input<string>;
}

/** The tenant's certificate for mail. and mta-sts., from Let's Encrypt over DNS-01 on Cloudflare. */
export class MailCertificate extends pulumi.ComponentResource {
  readonly certificate: AcmeCertificate;
  /** Leaf then intermediates: what Postfix, Dovecot and nginx serve. */
  readonly fullchainPem: pulumi.Output<string>;
  readonly privateKeyPem: pulumi.Output<string>;

  constructor(name: string, args: MailCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("penguinmails:mail:MailCertificate", name, {}, opts);
    const { config } = args;
    // The ACME account key only signs requests to the CA; P-256 is what Let's Encrypt recommends.
    const accountKey = new tls.PrivateKey(`${name}-acme-account`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    this.certificate = new AcmeCertificate(`${name}-certificate`, {
      directory: config.acme.directory,
      accountKeyPem: accountKey.privateKeyPem,
      contactEmail: config.alertEmail,
      domains: [mailHostname(config.domain), mtaStsHostname(config.domain)],
      keyType: config.acme.keyType,
      renewBeforeDays: config.acme.renewBeforeDays,
      revokeOnDelete: config.acme.revokeOnDelete,
      solver: { kind: "cloudflare", zoneId: config.cloudflareZoneId, apiToken: args.dnsApiToken },
    }, { parent: this });
    this.fullchainPem = pulumi.interpolate`${this.certificate.certificatePem}${this.certificate.chainPem}`;
    this.privateKeyPem = pulumi.secret(this.certificate.privateKeyPem);
    this.registerOutputs({ notAfter: this.certificate.notAfter, serial: this.certificate.serial });
  }
}
