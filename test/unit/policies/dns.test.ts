import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { buildCaaRecords } from "../../../baseline/dns/caa";
import { spfDnsLookupLimit } from "../../../baseline/dns/spf";
import { dkimRsaMinimumBits } from "../../../baseline/keys";
import { certificateAuthorityCaa } from "../../../baseline/tls";
import {
  dkimKeyStrength,
  dkimSelectorAge,
  dkimSelectorDate,
  dmarcPolicyEnforced,
  dmarcRecordValid,
  dmarcSingleRecord,
  mailDomainSecurityRecords,
  spfRecordValid,
  spfSingleRecord,
  spfSoftfail,
  txtContentValid,
} from "../../../policies/dns";
import { dkimValue, dnsRecord, evaluateOne, resource, txt, violations } from "./support";

const domain = "example.org";
const dkimName = (selector: string) => `${selector}._domainkey.${domain}`;

describe("dkim-key-strength", () => {
  it("passes a 2048-bit RSA key, an Ed25519 key and a withdrawn selector; ignores other TXT records", async () => {
    const records = [
      txt(dkimName("pm202611"), dkimValue(dkimRsaMinimumBits), "rsa"),
      txt(dkimName("ed"), "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "ed"),
      txt(dkimName("retired"), "v=DKIM1; k=rsa; p=", "retired"),
      txt(domain, "not a dkim record; p=@@@", "other"),
    ];
    expect(await violations(dkimKeyStrength, records)).toEqual([]);
  });

  it("flags a 1024-bit key, under a fully qualified or a zone-relative name, and on the deprecated Record type", async () => {
    const weak = dkimValue(1024);
    const legacy = resource("cloudflare:index/record:Record", "legacy", { zoneId: "z", name: "old._domainkey", type: "TXT", value: weak });
    const found = await violations(dkimKeyStrength, [txt(dkimName("s2019"), weak, "fqdn"), txt("s2019._domainkey", weak, "relative"), legacy]);
    expect(found).toEqual(
      Array(3).fill(`DKIM: the RSA key has 1024 bits; at least ${dkimRsaMinimumBits} are required. Fix: publish an RSA key of at least ${dkimRsaMinimumBits} bits (or Ed25519 next to it) under a new selector.`),
    );
  });

  it("flags what makes a record unusable: sha1 only, a key that is not RSA, unreadable content", async () => {
    const found = await violations(dkimKeyStrength, [
      txt(dkimName("a"), `${dkimValue(2048)}; h=sha1`, "sha1"),
      txt(dkimName("b"), "v=DKIM1; k=rsa; p=AAAA", "junk"),
      dnsRecord(dkimName("c"), "TXT", { content: '"v=DKIM1; p=unterminated' }, "quotes"),
    ]);
    expect(found[0]).toContain("does not allow sha256");
    expect(found[1]).toContain("p= is not an RSA public key");
    expect(found[2]).toBe('the DKIM record\'s content TXT content: a quoted string is not closed. Fix: publish "v=DKIM1; k=rsa; p=<key>" as quoted strings.');
  });

  it("honours a higher minimum", async () => {
    expect(await violations(dkimKeyStrength, [txt(dkimName("s"), dkimValue(2048))], { minimumRsaBits: 3072 })).toHaveLength(1);
  });
});

describe("dkim-selector-age", () => {
  const asOf = { referenceDate: "2026-11-27" };

  it("reads the date a selector's name carries", () => {
    const day = (date: Date | undefined) => date?.toISOString().slice(0, 10);
    expect(day(dkimSelectorDate("pm202611"))).toBe("2026-11-01");
    expect(day(dkimSelectorDate("s2026q4"))).toBe("2026-10-01");
    expect(day(dkimSelectorDate("20260101"))).toBe("2026-01-01");
    expect(day(dkimSelectorDate("mail-2026-03"))).toBe("2026-03-01");
    for (const none of ["mail", "k1234567890", "sel2026", "pm202613"]) expect(dkimSelectorDate(none), none).toBeUndefined();
  });

  it("passes recent selectors, undated ones, and an old selector that has been withdrawn", async () => {
    const records = [txt(dkimName("pm202611"), dkimValue(2048), "a"), txt(dkimName("s2026q4"), dkimValue(2048), "b"), txt(dkimName("mail"), dkimValue(2048), "c"), txt(dkimName("pm202401"), "v=DKIM1; k=rsa; p=", "d")];
    expect(await violations(dkimSelectorAge, records, asOf)).toEqual([]);
  });

  it("advises rotating a selector older than a quarter", async () => {
    const report = await evaluateOne(dkimSelectorAge, [txt(dkimName("pm202608"), dkimValue(2048))], asOf);
    expect(report.diagnostics.map((d) => [d.enforcementLevel, d.message.split("\n")[1]])).toEqual([
      ["advisory", 'selector "pm202608" dates from 2026-08-01 and was due for rotation on 2026-11-01 (every 3 months). Fix: publish a new selector, sign with it, then withdraw this one.'],
    ]);
  });

  it("honours maximumAgeMonths, and judges against today without a referenceDate", async () => {
    expect(await violations(dkimSelectorAge, [txt(dkimName("pm202608"), dkimValue(2048))], { ...asOf, maximumAgeMonths: 6 })).toEqual([]);
    expect(await violations(dkimSelectorAge, [txt(dkimName("s2000q1"), dkimValue(2048), "old"), txt(dkimName("s2099q1"), dkimValue(2048), "future")])).toHaveLength(1);
  });
});

describe("spf-record-valid", () => {
  it("passes valid records ending in ~all or -all, a redirect, and ignores other TXT records", async () => {
    const records = [
      txt(domain, "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 ~all", "a"),
      txt(`mail.${domain}`, "v=spf1 a -all", "b"),
      txt(`news.${domain}`, "v=spf1 redirect=_spf.example.net", "c"),
      txt(domain, "google-site-verification=abc", "d"),
      txt(`_dmarc.${domain}`, "v=spf1 +all", "e"),
    ];
    expect(await violations(spfRecordValid, records)).toEqual([]);
  });

  it.each([
    ["v=spf1 ip4:192.0.2.10 +all", '"+all" lets every host pass'],
    ["v=spf1 mx ?all", '"?all" leaves every other host neutral'],
    ["v=spf1 ip4:192.0.2.10", 'has no "all" mechanism'],
    ["v=spf1 ip4:192.0.2.300 -all", "ip4"],
    ["v=spf1 ptr -all", "the ptr mechanism should not be used"],
    [`v=spf1 ${Array.from({ length: spfDnsLookupLimit + 1 }, (_, i) => `include:s${i}.example.net`).join(" ")} -all`, `${spfDnsLookupLimit + 1} DNS-querying terms`],
  ])("flags %s", async (value, problem) => {
    const [message, ...more] = await violations(spfRecordValid, [txt(domain, value)]);
    expect(more).toEqual([]);
    expect(message).toContain(problem);
  });

  it("replaces the RFC's lookup limit with a lower configured one, reporting it once", async () => {
    const record = txt(domain, "v=spf1 include:a.example.net include:b.example.net include:c.example.net -all");
    expect(await violations(spfRecordValid, [record])).toEqual([]);
    const found = await violations(spfRecordValid, [record], { maximumDnsLookups: 2 });
    expect(found).toEqual(["SPF: 3 DNS-querying terms (include, a, mx, ptr, exists, redirect); at most 2 are allowed. Fix: list the sending addresses as ip4:/ip6:, drop unneeded includes, end in ~all or -all."]);
    await expect(evaluateOne(spfRecordValid, [], { maximumDnsLookups: spfDnsLookupLimit + 1 })).rejects.toThrow(`is above the maximum ${spfDnsLookupLimit}`);
  });
});

describe("spf-softfail", () => {
  it("passes -all and advises on ~all", async () => {
    expect(await violations(spfSoftfail, [txt(domain, "v=spf1 ip4:192.0.2.10 -all")])).toEqual([]);
    const report = await evaluateOne(spfSoftfail, [txt(domain, "v=spf1 ip4:192.0.2.10 ~all")]);
    expect(report.diagnostics.map((d) => d.enforcementLevel)).toEqual(["advisory"]);
    expect(report.diagnostics[0].message).toContain('the record ends in "~all" (softfail)');
  });
});

describe("spf-single-record", () => {
  it("passes one SPF record per name, the same name in two zones, and other TXT records next to it", async () => {
    const otherZone = { ...txt(domain, "v=spf1 -all", "other-zone"), inputs: { zoneId: "ffffffffffffffffffffffffffffffff", name: domain, type: "TXT", content: '"v=spf1 -all"' } };
    otherZone.outputs = { ...otherZone.inputs };
    const records = [txt(domain, "v=spf1 ip4:192.0.2.10 -all", "spf"), txt(domain, "verification=1", "verify"), otherZone, txt(`EXAMPLE.org.`, "hello", "case")];
    expect(await violations(spfSingleRecord, records)).toEqual([]);
  });

  it("flags two SPF records at one name (names compared without case or trailing dot), on the second", async () => {
    const second = txt(`${domain.toUpperCase()}.`, "v=spf1 include:news.example.net -all", "spf-2");
    const report = await evaluateOne(spfSingleRecord, [txt(domain, "v=spf1 ip4:192.0.2.10 -all", "spf-1"), second]);
    expect(report.diagnostics.map((d) => [d.enforcementLevel, d.urn])).toEqual([["mandatory", second.urn]]);
    expect(report.diagnostics[0].message).toContain('2 SPF records at "example.org"');
  });

  it("cannot rule out a second record whose content is unknown, and says so", async () => {
    const unknownContent = dnsRecord(domain, "TXT", { content: pulumi.unknown }, "pending");
    const report = await evaluateOne(spfSingleRecord, [txt(domain, "v=spf1 -all", "spf"), unknownContent]);
    expect(report.diagnostics.map((d) => d.enforcementLevel)).toEqual(["advisory"]);
    expect(report.diagnostics[0].message).toMatch(/^can't run policy 'spf-single-record' .* string value at \.content can't be known during preview$/);
  });
});

describe("dmarc-record-valid", () => {
  it("passes a valid record with rua and ignores TXT records elsewhere", async () => {
    const records = [txt(`_dmarc.${domain}`, `v=DMARC1; p=none; rua=mailto:dmarc@${domain}`), txt(`${domain}._report._dmarc.reports.example.net`, "v=DMARC1", "authorization")];
    expect(await violations(dmarcRecordValid, records)).toEqual([]);
  });

  it("flags a record without rua, a misspelt tag, and text that is not DMARC at _dmarc", async () => {
    const found = await violations(dmarcRecordValid, [
      txt(`_dmarc.${domain}`, "v=DMARC1; p=reject", "no-rua"),
      txt(`_dmarc.sub.${domain}`, `v=DMARC1; p=reject; rua=mailto:d@${domain}; pc=50`, "typo"),
      txt("_dmarc", "hello", "junk"),
    ]);
    expect(found[0]).toBe("DMARC: rua= is required, so that aggregate reports are received. Fix: publish v=DMARC1; p=...; rua=mailto:... with valid tags.");
    expect(found[1]).toContain('unknown tag "pc"');
    expect(found[2]).toContain('must start with "v=DMARC1"');
  });
});

describe("dmarc-policy-enforced", () => {
  it("advises on p=none, passes quarantine, and can require reject", async () => {
    const none = txt(`_dmarc.${domain}`, `v=DMARC1; p=none; rua=mailto:d@${domain}`);
    const quarantine = txt(`_dmarc.${domain}`, `v=DMARC1; p=quarantine; rua=mailto:d@${domain}`);
    const report = await evaluateOne(dmarcPolicyEnforced, [none]);
    expect(report.diagnostics.map((d) => [d.enforcementLevel, d.message.split("\n")[1]])).toEqual([
      ["advisory", "the policy is p=none: mail failing DMARC is still delivered. Fix: move to p=quarantine once reports show legitimate mail passing."],
    ]);
    expect(await violations(dmarcPolicyEnforced, [quarantine])).toEqual([]);
    expect(await violations(dmarcPolicyEnforced, [quarantine], { minimumPolicy: "reject" })).toHaveLength(1);
  });
});

describe("dmarc-single-record", () => {
  it("passes one record and flags two at the same _dmarc name", async () => {
    const one = txt(`_dmarc.${domain}`, `v=DMARC1; p=none; rua=mailto:d@${domain}`, "dmarc-1");
    expect(await violations(dmarcSingleRecord, [one, txt(`_dmarc.sub.${domain}`, "v=DMARC1; p=reject; rua=mailto:d@example.org", "sub")])).toEqual([]);
    const found = await violations(dmarcSingleRecord, [one, txt(`_dmarc.${domain}`, "v=DMARC1; p=reject; rua=mailto:d@example.org", "dmarc-2")]);
    expect(found).toEqual([`2 DMARC records at "_dmarc.example.org": cloudflare:index/dnsRecord:DnsRecord "dmarc-1", cloudflare:index/dnsRecord:DnsRecord "dmarc-2". Fix: keep one.`]);
  });
});

describe("mail-domain-security-records", () => {
  const caa = buildCaaRecords({ issuer: certificateAuthorityCaa.issuerDomain, validationMethods: [...certificateAuthorityCaa.validationMethods] }).map((record, i) =>
    dnsRecord(domain, "CAA", { data: { flags: record.flags, tag: record.tag, value: record.value } }, `caa-${i}`),
  );
  const mx = dnsRecord(domain, "MX", { content: `mail.${domain}`, priority: 10 }, "mx");
  const complete = [mx, txt(`_mta-sts.${domain}`, "v=STSv1; id=20261127", "mta-sts"), txt(`_smtp._tls.${domain}`, `v=TLSRPTv1; rua=mailto:tls@${domain}`, "tls-rpt"), ...caa];

  it("passes a mail domain with all three, and names without an MX", async () => {
    expect(await violations(mailDomainSecurityRecords, complete)).toEqual([]);
    expect(await violations(mailDomainSecurityRecords, [txt(domain, "v=spf1 -all")])).toEqual([]);
  });

  it("advises on each missing record, on the MX record", async () => {
    const report = await evaluateOne(mailDomainSecurityRecords, [mx]);
    expect(report.diagnostics.map((d) => [d.enforcementLevel, d.urn, d.message.split("\n")[1]])).toEqual([
      ["advisory", mx.urn, 'mail domain "example.org" has an MX but no MTA-STS record at "_mta-sts.example.org". Fix: publish one.'],
      ["advisory", mx.urn, 'mail domain "example.org" has an MX but no TLS-RPT record at "_smtp._tls.example.org". Fix: publish one.'],
      ["advisory", mx.urn, 'mail domain "example.org" has an MX but no CAA record at "example.org". Fix: publish one.'],
    ]);
  });

  it("judges the records it finds with the baseline's validators, and the zone apex written as @", async () => {
    const found = await violations(mailDomainSecurityRecords, [
      dnsRecord("@", "MX", { content: `mail.${domain}`, priority: 10 }, "mx"),
      txt("_mta-sts", "v=STSv1; id=not-alphanumeric!", "mta-sts"),
      txt("_smtp._tls", "v=TLSRPTv1", "tls-rpt"),
      dnsRecord("@", "CAA", { data: { flags: 0, tag: "iodef", value: "mailto:security@example.org" } }, "caa"),
    ]);
    expect(found).toHaveLength(3);
    expect(found[0]).toContain("MTA-STS record: id=not-alphanumeric! must be 1 to 32 letters or digits");
    expect(found[1]).toContain("TLS-RPT: rua= is required");
    expect(found[2]).toContain('no "issue" record');
  });

  it("checks only what `require` lists", async () => {
    expect(await violations(mailDomainSecurityRecords, [mx, ...caa], { require: ["caa"] })).toEqual([]);
  });
});

describe("dns-txt-content-valid", () => {
  it("passes quoted strings of at most 255 characters", async () => {
    expect(await violations(txtContentValid, [txt(dkimName("s"), dkimValue(2048))])).toEqual([]);
  });

  it("flags an unsplit value over 255 characters and non-ASCII text", async () => {
    const long = dnsRecord(dkimName("s"), "TXT", { content: dkimValue(2048) }, "long");
    const accent = dnsRecord(domain, "TXT", { content: '"café"' }, "accent");
    const found = await violations(txtContentValid, [long, accent]);
    expect(found[0]).toMatch(/^TXT content: string 1 is \d+ characters; each string may hold at most 255/);
    expect(found[1]).toContain("outside printable ASCII");
  });
});
