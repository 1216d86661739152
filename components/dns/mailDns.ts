import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { buildCaaRecords } from "../../baseline/dns/caa";
import { buildDkimRecord } from "../../baseline/dns/dkim";
import { buildDmarcRecord } from "../../baseline/dns/dmarc";
import { buildMtaStsRecord, mtaStsPolicyId } from "../../baseline/dns/mtaSts";
import { buildSpfRecord } from "../../baseline/dns/spf";
import { buildTlsRptRecord } from "../../baseline/dns/tlsRpt";
import { renderTxtContent } from "../../baseline/dns/txt";
import { certificateAuthorityCaa, cloudflareZoneSettings } from "../../baseline/tls";
import type { TenantConfig } from "../../tenant/tenantConfig";
import { mailHostname, mtaStsHostname } from "../../tenant/names";
import { tenantMtaStsPolicy } from "../../tenant/mtaStsPolicy";

export interface MailDnsArgs {
  readonly config: TenantConfig;
  /** The droplet's own addresses: mail leaves from them, so A/AAAA and SPF must name them. */
  readonly ipv4Address: pulumi.Input<string>;
  readonly ipv6Address: pulumi.Input<string>;
  /** Public key PEM per published DKIM selector. */
  readonly dkimPublicKeyPems: Readonly<Record<string, pulumi.Input<string>>>;
}

/** A published record as it reads in DNS: what the stack outputs and a reviewer checks. */
export interface PublishedDnsRecord {
  readonly name: string;
  readonly type: string;
  readonly content: string;
}

/** The tenant's Cloudflare records (addresses, MX and every email-authentication record) and zone TLS settings. */
export class MailDns extends pulumi.ComponentResource {
  readonly records: pulumi.Output<PublishedDnsRecord[]>;
  readonly mtaStsPolicyId: string;

  constructor(name: string, args: MailDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("penguinmails:mail:MailDns", name, {}, opts);
    const { config } = args;
    const zoneId = config.cloudflareZoneId;
    const ttl = config.dnsTtlSeconds;
    const published: pulumi.Output<PublishedDnsRecord>[] = [];

    const record = (suffix: string, recordArgs: Omit<cloudflare.DnsRecordArgs, "zoneId" | "ttl" | "proxied">, value?: pulumi.Input<string>): void => {
      const created = new cloudflare.DnsRecord(`${name}-${suffix}`, {
        zoneId,
        ttl,
        // Mail and MTA-STS must reach the droplet itself, with its own certificate.
        proxied: recordArgs.type === "A" || recordArgs.type === "AAAA" ? false : undefined,
        ...recordArgs,
      }, { parent: this });
      published.push(pulumi.all([created.name, created.type, value ?? recordArgs.content, recordArgs.data, recordArgs.priority]).apply(
        ([recordName, type, content, data, priority]) => ({
          name: recordName,
          type,
          content: data ? `${data.flags} ${data.tag} "${data.value}"` : priority !== undefined ? `${priority} ${content}` : String(content),
        }),
      ));
    };
    // Outputs show the record's value as resolvers join it; Cloudflare gets it as quoted strings.
    const txt = (suffix: string, recordName: string, value: pulumi.Input<string>): void =>
      record(suffix, { name: recordName, type: "TXT", content: pulumi.output(value).apply(renderTxtContent) }, value);

    const mail = mailHostname(config.domain);
    const mtaSts = mtaStsHostname(config.domain);
    record("mail-a", { name: mail, type: "A", content: args.ipv4Address });
    record("mail-aaaa", { name: mail, type: "AAAA", content: args.ipv6Address });
    record("mta-sts-a", { name: mtaSts, type: "A", content: args.ipv4Address });
    record("mta-sts-aaaa", { name: mtaSts, type: "AAAA", content: args.ipv6Address });
    record("mx", { name: config.domain, type: "MX", content: mail, priority: 10 });

    txt("spf", config.domain, pulumi.all([args.ipv4Address, args.ipv6Address]).apply(([ip4, ip6]) =>
      buildSpfRecord({ ip4: [ip4], ip6: [ip6], include: [...config.spf.include], all: config.spf.all })));
    // The HELO identity: receivers check SPF for mail.<domain> too (RFC 7208 2.3), notably for
    // bounces, whose envelope sender is empty. Only this host ever says HELO with that name.
    txt("helo-spf", mail, pulumi.all([args.ipv4Address, args.ipv6Address]).apply(([ip4, ip6]) =>
      buildSpfRecord({ ip4: [ip4], ip6: [ip6], include: [], all: "fail" })));

    for (const [selector, pem] of Object.entries(args.dkimPublicKeyPems)) {
      txt(`dkim-${selector}`, `${selector}._domainkey.${config.domain}`,
        pulumi.output(pem).apply((publicKeyPem) => buildDkimRecord({ publicKeyPem })));
    }

    txt("dmarc", `_dmarc.${config.domain}`, buildDmarcRecord({
      phase: config.dmarc.phase,
      rua: [...config.dmarc.rua],
      ruf: config.dmarc.ruf.length > 0 ? [...config.dmarc.ruf] : undefined,
      quarantineRollout: config.dmarc.phase === "quarantine" ? config.dmarc.quarantineRollout : undefined,
      adkim: config.dmarc.adkim,
      aspf: config.dmarc.aspf,
    }));

    this.mtaStsPolicyId = mtaStsPolicyId(tenantMtaStsPolicy(config));
    txt("mta-sts", `_mta-sts.${config.domain}`, buildMtaStsRecord(this.mtaStsPolicyId));
    txt("tls-rpt", `_smtp._tls.${config.domain}`, buildTlsRptRecord({ rua: [...config.tlsRpt.rua] }));

    buildCaaRecords({ issuer: certificateAuthorityCaa.issuerDomain, validationMethods: [...certificateAuthorityCaa.validationMethods], iodef: config.caa.iodef })
      .forEach((caa, i) => record(`caa-${i}-${caa.tag}`, { name: config.domain, type: "CAA", data: { flags: caa.flags, tag: caa.tag, value: caa.value } }));

    for (const [settingId, value] of Object.entries(cloudflareZoneSettings)) {
      new cloudflare.ZoneSetting(`${name}-zone-${settingId.replace(/_/g, "-")}`, { zoneId, settingId, value }, { parent: this });
    }

    this.records = pulumi.all(published);
    this.registerOutputs({ records: this.records, mtaStsPolicyId: this.mtaStsPolicyId });
  }
}
