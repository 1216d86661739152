import * as pulumi from "@pulumi/pulumi";
import { MailCertificate } from "./certificate/mailCertificate";
import type { TenantSecrets } from "./config/loadTenantConfig";
import type { TenantConfig } from "./config/tenantConfig";
import { DkimKeys } from "./dkim/dkimKeys";
import { MailDns, type PublishedDnsRecord } from "./dns/mailDns";
import { renderCloudInitUserData } from "./hostConfig/render/system";
import { MailHost } from "./host/mailHost";
import { mailHostname } from "./tenantNames";

export interface TenantMailServerArgs {
  readonly config: TenantConfig;
  readonly secrets: TenantSecrets;
}

/** One tenant's hardened mail server: the host, its DKIM keys and its DNS. */
export class TenantMailServer extends pulumi.ComponentResource {
  readonly mailHostname: string;
  readonly ipv4Address: pulumi.Output<string>;
  readonly ipv6Address: pulumi.Output<string>;
  readonly dnsRecords: pulumi.Output<PublishedDnsRecord[]>;
  readonly dkimSelectors: readonly string[];
  readonly activeDkimSelector: string;
  readonly mtaStsPolicyId: string;
  readonly certificateNotAfter: pulumi.Output<string>;
  /** Private signing keys per selector (secrets), for the host's OpenDKIM. */
  readonly dkimPrivateKeyPems: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: TenantMailServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("penguinmails:mail:TenantMailServer", name, {}, opts);
    const { config } = args;

    const host = new MailHost(`${name}-host`, {
      domain: config.domain,
      region: config.region,
      size: config.size,
      image: config.image,
      adminSshPublicKeys: config.adminSshPublicKeys,
      sshSourceCidrs: [...config.adminCidrs, ...config.deployCidrs],
      extraTags: config.tags,
      userData: renderCloudInitUserData(config),
    }, { parent: this });

    const dkim = new DkimKeys(`${name}-dkim`, { selectors: config.dkim.selectors }, { parent: this });

    const dns = new MailDns(`${name}-dns`, {
      config,
      ipv4Address: host.ipv4Address,
      ipv6Address: host.ipv6Address,
      dkimPublicKeyPems: dkim.publicKeyPems,
    }, { parent: this });

    const certificate = new MailCertificate(`${name}-tls`, { config, dnsApiToken: args.secrets.acmeDnsApiToken }, { parent: this });

    this.mailHostname = mailHostname(config.domain);
    this.ipv4Address = host.ipv4Address;
    this.ipv6Address = host.ipv6Address;
    this.dnsRecords = dns.records;
    this.dkimSelectors = config.dkim.selectors;
    this.activeDkimSelector = config.dkim.active;
    this.mtaStsPolicyId = dns.mtaStsPolicyId;
    this.dkimPrivateKeyPems = dkim.privateKeyPems;
    this.certificateNotAfter = certificate.certificate.notAfter;
    this.registerOutputs({
      mailHostname: this.mailHostname,
      ipv4Address: this.ipv4Address,
      ipv6Address: this.ipv6Address,
      dnsRecords: this.dnsRecords,
      dkimSelectors: this.dkimSelectors,
    });
  }
}
