import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { AcmeAccount } from "./certificate/acmeAccount";
import { CertificateKeySet } from "./certificate/certificateKeys";
import { keySlotCount } from "./certificate/keyRollover";
import { MailCertificate } from "./certificate/mailCertificate";
import type { TenantSecrets } from "./loadTenantConfig";
import type { TenantConfig } from "../tenant/tenantConfig";
import { DkimKeys } from "./dkim/dkimKeys";
import { MailDns, type PublishedDnsRecord } from "./dns/mailDns";
import { HostKeyPin } from "./host/hostKeyPin";
import { MailHost } from "./host/mailHost";
import { HostConfiguration, hostBundleOutput } from "./hostConfig/hostConfiguration";
import { renderCloudInitUserData } from "../hostBundle/render/system";
import { tenantHostRenderContext } from "../hostBundle/renderContext";
import { mailHostname } from "../tenant/names";

export interface TenantMailServerArgs {
  readonly config: TenantConfig;
  readonly secrets: TenantSecrets;
}

/** What an operator must do by hand for DANE to count: the program cannot reach the registrar. */
export const dnssecRegistrarNotice =
  "Publish dnssecDsRecord as the DS record at the domain's registrar: until then validators ignore the zone's signatures, " +
  "and so the TLSA records. `npm run check -- dnssec <domain>` says when the DS is live and the chain validates.";

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
  /** The DS record the registrar must publish for the signed zone. */
  readonly dnssecDsRecord: pulumi.Output<string>;
  /** The account the CAA record lets issue. */
  readonly acmeAccountUri: pulumi.Output<string>;
  /** The pinned SSH host key's SHA256 fingerprint, to compare with the droplet's console out of band. */
  readonly hostKeyFingerprint: pulumi.Output<string>;
  readonly dnssecNotice: string;
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

    // Read once, right after the droplet exists; every connection to it is pinned to this key.
    const hostKey = new HostKeyPin(`${name}-host-key`, { host: host.ipv4Address, hostId: host.droplet.id }, { parent: this, dependsOn: [host] });

    const certificateKeys = new CertificateKeySet(`${name}-tls-keys`, {
      keyType: config.acme.keyType,
      dnsTtlSeconds: config.dnsTtlSeconds,
      forcedRollover: config.acme.keyRollover,
    }, { parent: this });
    // The ACME account key only signs requests to the CA; P-256 is what Let's Encrypt recommends.
    // Until the ACME account became its own resource the key lived inside MailCertificate: the alias
    // keeps a deployed stack's key (and so its Let's Encrypt account) instead of making a new one.
    const accountKey = new tls.PrivateKey(`${name}-tls-acme-account`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, {
      parent: this,
      aliases: [{ parent: pulumi.createUrn(`${name}-tls`, "penguinmails:mail:MailCertificate", this) }],
    });
    const account = new AcmeAccount(`${name}-acme-account`, {
      directory: config.acme.directory,
      accountKeyPem: accountKey.privateKeyPem,
      contactEmail: config.alertEmail,
    }, { parent: this });

    const dns = new MailDns(`${name}-dns`, {
      config,
      ipv4Address: host.ipv4Address,
      ipv6Address: host.ipv6Address,
      dkimPublicKeyPems: dkim.publicKeyPems,
      certificateKeySha256s: Array.from({ length: keySlotCount }, (_, slot) => certificateKeys.slotSha256(slot)),
      acmeAccountUri: account.accountUri,
    }, { parent: this });

    const certificate = new MailCertificate(`${name}-tls`, {
      config,
      dnsApiToken: args.secrets.acmeDnsApiToken,
      keys: certificateKeys,
      account: { resource: account, accountKeyPem: accountKey.privateKeyPem },
      trustRecords: [...dns.caaRecords, ...dns.tlsaRecords],
    }, { parent: this });

    const hostConfiguration = new HostConfiguration(`${name}-host-config`, {
      connection: { host: host.ipv4Address, user: config.adminUser, privateKey: deployKey.privateKeyPem, hostKey: hostKey.hostKey },
      // The bundle authorizes the deploy key beside the admin's: sshd reads no other keys.
      bundle: hostBundleOutput(deployKey.publicKeyOpenssh.apply((deployPublicKey) => tenantHostRenderContext(config, [deployPublicKey])), {
        dkimPrivateKeyPems: dkim.privateKeyPems,
        tlsCertificate: pulumi.all([certificate.fullchainPem, certificate.privateKeyPem]).apply(([fullchainPem, privateKeyPem]) => ({ fullchainPem, privateKeyPem })),
      }),
      // A new key is in DNS (TLSA) before the host serves it.
    }, { parent: this, dependsOn: [host, ...dns.tlsaRecords] });

    this.mailHostname = mailHostname(config.domain);
    this.ipv4Address = host.ipv4Address;
    this.ipv6Address = host.ipv6Address;
    this.dnsRecords = dns.records;
    this.dkimSelectors = config.dkim.selectors;
    this.activeDkimSelector = config.dkim.active;
    this.mtaStsPolicyId = dns.mtaStsPolicyId;
    this.certificateNotAfter = certificate.certificate.notAfter;
    this.dnssecDsRecord = dns.dnssecDsRecord;
    this.dnssecNotice = dnssecRegistrarNotice;
    this.acmeAccountUri = account.accountUri;
    this.hostKeyFingerprint = hostKey.fingerprint;
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
      dnssecDsRecord: this.dnssecDsRecord,
      dnssecNotice: this.dnssecNotice,
      acmeAccountUri: this.acmeAccountUri,
      hostKeyFingerprint: this.hostKeyFingerprint,
      hostBundleHash: this.hostBundleHash,
    });
  }
}
