import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { buildCaaRecords, formatCaaRecord } from "../../baseline/dns/caa";
import { buildDkimRecord } from "../../baseline/dns/dkim";
import { buildDmarcRecord } from "../../baseline/dns/dmarc";
import { buildMtaStsRecord, mtaStsPolicyId } from "../../baseline/dns/mtaSts";
import { buildSpfRecord } from "../../baseline/dns/spf";
import { buildTlsaRecord, formatTlsaRecord, smtpTlsaRecordName, tlsaDaneEeSpkiSha256 } from "../../baseline/dns/tlsa";
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
  /**
   * The TLSA `3 1 1` data of each certificate key slot (CertificateKeySet's publicKeySha256s, in
   * slot order): one record per slot, so a rollover rewrites only the slot it generates into.
   */
  readonly certificateKeySha256s: readonly pulumi.Input<string>[];
  /** AcmeAccount's accountUri: the CAA issue record lets only this account order certificates. */
  readonly acmeAccountUri: pulumi.Input<string>;
}

/** A published record as it reads in DNS: what the stack outputs and a reviewer checks. */
export interface PublishedDnsRecord {
  readonly name: string;
  readonly type: string;
  readonly content: string;
}

/**
 * The tenant's Cloudflare records (addresses, MX, every email-authentication record, the TLSA
 * records of the certificate keys), the zone's TLS settings and its DNSSEC signing.
 */
export class MailDns extends pulumi.ComponentResource {
  readonly records: pulumi.Output<PublishedDnsRecord[]>;
  readonly mtaStsPolicyId: string;
  /** The CAA records: in place before the first certificate order. */
  readonly caaRecords: cloudflare.DnsRecord[];
  /** One TLSA record per certificate key slot: in DNS before a host serves a new key. */
  readonly tlsaRecords: cloudflare.DnsRecord[];
  /** The DS record for the registrar: until it is published there, validators ignore the zone's signatures, and so the TLSA records. */
  readonly dnssecDsRecord: pulumi.Output<string>;

  constructor(name: string, args: MailDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("penguinmails:mail:MailDns", name, {}, opts);
    const { config } = args;
    const zoneId = config.cloudflareZoneId;
    const ttl = config.dnsTtlSeconds;
    const published: pulumi.Output<PublishedDnsRecord>[] = [];

    const record = (suffix: string, recordArgs: Omit<cloudflare.DnsRecordArgs, "zoneId" | "ttl" | "proxied">, value?: pulumi.Input<string>): cloudflare.DnsRecord => {
      const created = new cloudflare.DnsRecord(`${name}-${suffix}`, {
        zoneId,
        ttl,
        // Mail and MTA-STS must reach the droplet itself, with its own certificate.
        proxied: recordArgs.type === "A" || recordArgs.type === "AAAA" ? false : undefined,
        ...recordArgs,
      }, { parent: this });
      // Data records (CAA, TLSA) pass their presentation form as `value`.
      published.push(pulumi.all([created.name, created.type, value ?? recordArgs.content, recordArgs.priority]).apply(
        ([recordName, type, content, priority]) => ({
          name: recordName,
          type,
          content: priority !== undefined ? `${priority} ${content}` : String(content),
        }),
      ));
      return created;
    };
    // Outputs show the record's value as resolvers join it; Cloudflare gets it as quoted strings.
    const txt = (suffix: string, recordName: string, value: pulumi.Input<string>): void => {
      record(suffix, { name: recordName, type: "TXT", content: pulumi.output(value).apply(renderTxtContent) }, value);
    };

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

    // Only our ACME account may order, only by DNS-01 (RFC 8657); the account exists before this record.
    const caaArgs = { issuer: certificateAuthorityCaa.issuerDomain, validationMethods: [...certificateAuthorityCaa.validationMethods], iodef: config.caa.iodef };
    const caaRecords = pulumi.output(args.acmeAccountUri).apply((accountUri) => buildCaaRecords({ ...caaArgs, accountUri }));
    this.caaRecords = buildCaaRecords(caaArgs).map((shape, i) => {
      const caa = caaRecords.apply((records) => records[i]!);
      return record(`caa-${i}-${shape.tag}`, {
        name: config.domain,
        type: "CAA",
        data: { flags: shape.flags, tag: shape.tag, value: caa.apply((r) => r.value) },
      }, caa.apply(formatCaaRecord));
    });

    // DANE for inbound SMTP: one 3 1 1 record per key slot (current, next, and the last retired).
    this.tlsaRecords = args.certificateKeySha256s.map((sha256, slot) => {
      const tlsa = pulumi.output(sha256).apply(buildTlsaRecord);
      return record(`tlsa-${slot}`, {
        name: smtpTlsaRecordName(mail),
        type: "TLSA",
        data: { ...tlsaDaneEeSpkiSha256, certificate: tlsa.apply((t) => t.certificate) },
      }, tlsa.apply(formatTlsaRecord));
    });

    // Signed by Cloudflare; the DS must be published at the registrar by hand. Kept when the stack
    // is destroyed: turning signing off while the registrar still has the DS makes the zone bogus.
    const dnssec = new cloudflare.ZoneDnssec(`${name}-dnssec`, { zoneId, status: "active" }, { parent: this, retainOnDelete: true });
    this.dnssecDsRecord = dnssec.ds;

    for (const [settingId, value] of Object.entries(cloudflareZoneSettings)) {
      new cloudflare.ZoneSetting(`${name}-zone-${settingId.replace(/_/g, "-")}`, { zoneId, settingId, value }, { parent: this });
    }

    this.records = pulumi.all(published);
    this.registerOutputs({ records: this.records, mtaStsPolicyId: this.mtaStsPolicyId, dnssecDsRecord: this.dnssecDsRecord });
  }
}
