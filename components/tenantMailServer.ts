import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { MailCertificate } from "./certificate/mailCertificate";
import type { TenantSecrets } from "./loadTenantConfig";
import type { TenantConfig } from "../tenant/tenantConfig";
import { DkimKeys } from "./dkim/dkimKeys";
import { MailDns, type PublishedDnsRecord } from "./dns/mailDns";
import { MailHost } from "./host/mailHost";
import { HostConfiguration, hostBundleOutput } from "./hostConfig/hostConfiguration";
import { renderCloudInitUserData } from "../hostBundle/render/system";
import { tenantHostRenderContext } from "../hostBundle/renderContext";
import { mailHostname } from "../tenant/names";

export interface TenantMailServerArgs {
  readonly config: TenantConfig;
  readonly secrets: TenantSecrets;
}

/** One tenant's hardened mail server: the host and its configuration, its DKIM keys, certificate and DNS. */
export class TenantMailServer extends pulumi.ComponentResource {
  readonly mailHostname: string;
  readonly ipv4Address: pulumi.Output<string>;
  readonly ipv6Address: pulumi.Output<string>;
  readonly dnsRecords: pulumi.Output<PublishedDnsRecord[]>;
  readonly dkimSelectors: readonly string[];
  readonly activeDkimSelector: string;
  readonly mtaStsPolicyId: string;
  readonly certificateNotAfter: pulumi.Output<string>;
  /** sha256 of the host bundle's manifest: what the host runs after a successful apply. */
  readonly hostBundleHash: pulumi.Output<string>;

  constructor(name: string, args: TenantMailServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("penguinmails:mail:TenantMailServer", name, {}, opts);
    const { config } = args;

    // Pulumi's own key to the admin account, for applying the host bundle; a secret in the state.
    const deployKey = new tls.PrivateKey(`${name}-deploy-key`, { algorithm: "ED25519" }, { parent: this });

    const host = new MailHost(`${name}-host`, {
      domain: config.domain,
      region: config.region,
      size: config.size,
      image: config.image,
      adminSshPublicKeys: config.adminSshPublicKeys,
      sshSourceCidrs: [...config.adminCidrs, ...config.deployCidrs],
      extraTags: config.tags,
      userData: deployKey.publicKeyOpenssh.apply((deployPublicKey) => renderCloudInitUserData(config, [deployPublicKey])),
    }, { parent: this });

    const dkim = new DkimKeys(`${name}-dkim`, { selectors: config.dkim.selectors }, { parent: this });

    const dns = new MailDns(`${name}-dns`, {
      config,
      ipv4Address: host.ipv4Address,
      ipv6Address: host.ipv6Address,
      dkimPublicKeyPems: dkim.publicKeyPems,
    }, { parent: this });

    const certificate = new MailCertificate(`${name}-tls`, { config, dnsApiToken: args.secrets.acmeDnsApiToken }, { parent: this });

    const hostConfiguration = new HostConfiguration(`${name}-host-config`, {
      connection: { host: host.ipv4Address, user: config.adminUser, privateKey: deployKey.privateKeyPem },
      bundle: hostBundleOutput(tenantHostRenderContext(config), {
        dkimPrivateKeyPems: dkim.privateKeyPems,
        tlsCertificate: pulumi.all([certificate.fullchainPem, certificate.privateKeyPem]).apply(([fullchainPem, privateKeyPem]) => ({ fullchainPem, privateKeyPem })),
      }),
    }, { parent: this, dependsOn: [host] });

    this.mailHostname = mailHostname(config.domain);
    this.ipv4Address = host.ipv4Address;
    this.ipv6Address = host.ipv6Address;
    this.dnsRecords = dns.records;
    this.dkimSelectors = config.dkim.selectors;
    this.activeDkimSelector = config.dkim.active;
    this.mtaStsPolicyId = dns.mtaStsPolicyId;
    this.certificateNotAfter = certificate.certificate.notAfter;
    this.hostBundleHash = hostConfiguration.bundleHash;
    this.registerOutputs({
      mailHostname: this.mailHostname,
      ipv4Address: this.ipv4Address,
      ipv6Address: this.ipv6Address,
      dnsRecords: this.dnsRecords,
      dkimSelectors: this.dkimSelectors,
      activeDkimSelector: this.activeDkimSelector,
      mtaStsPolicyId: this.mtaStsPolicyId,
      certificateNotAfter: this.certificateNotAfter,
      hostBundleHash: this.hostBundleHash,
    });
  }
}
