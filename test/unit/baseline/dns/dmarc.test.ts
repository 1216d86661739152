import { describe, expect, it } from "vitest";
import {
  buildDmarcRecord,
  dmarcExternalReportDomains,
  dmarcRecordName,
  dmarcReportAuthorizationName,
  dmarcReportAuthorizationRecord,
  isDmarcRecord,
  parseDmarc,
  validateDmarc,
} from "../../../../baseline/dns/dmarc";

const rua = ["mailto:dmarc@tenant-one.example"];

describe("buildDmarcRecord", () => {
  it("monitors with p=none and aggregate reports", () => {
    expect(buildDmarcRecord({ phase: "monitor", rua })).toBe("v=DMARC1; p=none; rua=mailto:dmarc@tenant-one.example");
  });

  it("starts quarantine at the spec's pct=10 or with RFC 9989's t=y", () => {
    expect(buildDmarcRecord({ phase: "quarantine", rua, quarantineRollout: { style: "pct", percent: 10 } })).toBe(
      "v=DMARC1; p=quarantine; pct=10; rua=mailto:dmarc@tenant-one.example",
    );
    expect(buildDmarcRecord({ phase: "quarantine", rua, quarantineRollout: { style: "testing" } })).toBe(
      "v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@tenant-one.example",
    );
    expect(buildDmarcRecord({ phase: "quarantine", rua })).toBe("v=DMARC1; p=quarantine; rua=mailto:dmarc@tenant-one.example");
  });

  it("rejects with every optional tag, and the result validates", () => {
    const record = buildDmarcRecord({
      phase: "reject",
      rua: ["mailto:dmarc@tenant-one.example", "mailto:agg@reports.vendor.example"],
      ruf: ["mailto:forensic@tenant-one.example"],
      adkim: "s",
      aspf: "s",
      subdomainPolicy: "reject",
    });
    expect(record).toBe(
      "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s; rua=mailto:dmarc@tenant-one.example,mailto:agg@reports.vendor.example; ruf=mailto:forensic@tenant-one.example",
    );
    expect(validateDmarc(record)).toEqual([]);
  });

  it.each([
    [{ phase: "monitor" as const, rua: ["https://reports.example.com/dmarc"] }, 'DMARC rua: "https://reports.example.com/dmarc" is not a mailto: URI'],
    [{ phase: "monitor" as const, rua: [] }, "DMARC rua: at least one mailto: URI is required"],
    [{ phase: "reject" as const, rua, quarantineRollout: { style: "testing" as const } }, 'DMARC quarantineRollout applies only to the quarantine phase, not "reject"'],
    [{ phase: "quarantine" as const, rua, quarantineRollout: { style: "pct" as const, percent: 150 } }, "DMARC quarantineRollout.percent must be an integer from 0 to 100, got 150"],
  ])("refuses invalid input (%#)", (args, message) => {
    expect(() => buildDmarcRecord(args)).toThrow(message);
  });
});

describe("RFC 7489 and RFC 9989 records", () => {
  it.each([
    "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com",
    "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; ruf=mailto:auth-reports@thirdparty.example.net",
    "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net!10m; pct=25",
    "v=DMARC1; p=reject; sp=none; fo=0:1:d:s; rf=afrf; ri=86400; rua=mailto:dmarc@example.com",
    "v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@example.com",
    "v=DMARC1; p=reject; np=reject; psd=n; rua=mailto:dmarc@example.com",
    "v=DMARC1;p=reject;rua=mailto:dmarc@example.com;",
    "v = DMARC1 ;  p = reject ; rua = mailto:a@example.com , mailto:b@example.org!50m",
    "V=DMARC1; P=Reject; RUA=mailto:dmarc@example.com; ADKIM=S",
  ])("accepts %s", (record) => {
    expect(validateDmarc(record)).toEqual([]);
  });

  it("reads policies and report URIs, keeping size limits on the URIs", () => {
    const parsed = parseDmarc(
      "v=DMARC1; p=Quarantine; sp=reject; np=reject; rua=mailto:dmarc-feedback@example.com, mailto:tld-test@thirdparty.example.net!10m",
    );
    expect(parsed.policy).toBe("quarantine");
    expect(parsed.subdomainPolicy).toBe("reject");
    expect(parsed.nonExistentSubdomainPolicy).toBe("reject");
    expect(parsed.rua).toEqual(["mailto:dmarc-feedback@example.com", "mailto:tld-test@thirdparty.example.net!10m"]);
    expect(parsed.ruf).toEqual([]);
    expect(parsed.problems).toEqual([]);
  });
});

describe("validateDmarc failures", () => {
  it.each([
    ["p=none without rua", "v=DMARC1; p=none", "DMARC: rua= is required, so that aggregate reports are received"],
    ["an https: rua", "v=DMARC1; p=none; rua=https://reports.example.com/dmarc", 'DMARC rua: "https://reports.example.com/dmarc" is not a mailto: URI'],
    ["no p=", "v=DMARC1; rua=mailto:dmarc@example.com", "DMARC: p= (the policy) is required"],
    ["an unknown policy", "v=DMARC1; p=monitor; rua=mailto:dmarc@example.com", "DMARC p=monitor: must be none, quarantine or reject"],
    ["v= not first", "p=none; v=DMARC1; rua=mailto:dmarc@example.com", 'DMARC: the record must start with "v=DMARC1"'],
    ["a lower-case version", "v=dmarc1; p=none; rua=mailto:dmarc@example.com", 'DMARC v=dmarc1: must be "DMARC1" (case-sensitive)'],
    ["an invalid alignment", "v=DMARC1; p=none; adkim=x; rua=mailto:dmarc@example.com", "DMARC adkim=x: must be r or s"],
    ["pct over 100", "v=DMARC1; p=quarantine; pct=101; rua=mailto:dmarc@example.com", "DMARC pct=101: must be an integer from 0 to 100"],
    ["an invalid t=", "v=DMARC1; p=quarantine; t=maybe; rua=mailto:dmarc@example.com", "DMARC t=maybe: must be y or n"],
    ["an invalid psd=", "v=DMARC1; p=reject; psd=x; rua=mailto:dmarc@example.com", "DMARC psd=x: must be y, n or u"],
    ["an invalid np=", "v=DMARC1; p=reject; np=drop; rua=mailto:dmarc@example.com", "DMARC np=drop: must be none, quarantine or reject"],
    ["an invalid fo=", "v=DMARC1; p=reject; fo=2; rua=mailto:dmarc@example.com", "DMARC fo=2: must be 0, 1, d or s, separated by ':'"],
    ["a misspelt tag", "v=DMARC1; p=reject; rau=mailto:dmarc@example.com", 'DMARC: unknown tag "rau" (receivers ignore it; a misspelling?)'],
    ["a repeated tag", "v=DMARC1; p=none; p=reject; rua=mailto:dmarc@example.com", 'DMARC: tag "p" appears more than once'],
    ["an invalid ruf address", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com; ruf=mailto:forensic@localhost", 'DMARC ruf: "mailto:forensic@localhost": "localhost" is not a valid mail domain'],
    ["an invalid size limit", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com!10x", 'DMARC rua: "mailto:dmarc@example.com!10x" has an invalid size limit "!10x" (digits, then k, m, g or t)'],
    ["an empty rua", "v=DMARC1; p=reject; rua=", "DMARC rua: no report URI given"],
    ["a trailing comma", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com,", "DMARC rua: empty entry in the URI list"],
    ["a tag without =", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com; reject", 'DMARC: "reject" is not a name=value tag'],
  ])("rejects %s", (_label, record, problem) => {
    expect(validateDmarc(record)).toContain(problem);
  });
});

describe("isDmarcRecord", () => {
  it.each([
    ["v=DMARC1; p=none", true],
    ["v=DMARC1", true],
    ["v = DMARC1; p=none", true],
    ["v=DMARC1p=none", false],
    ["v=DMARC2; p=none", false],
    ["v=spf1 -all", false],
  ])("%j is a DMARC record: %s", (txt, expected) => {
    expect(isDmarcRecord(txt)).toBe(expected);
  });
});

describe("external report destinations (RFC 7489 7.1)", () => {
  it("lists rua domains outside the policy domain's tree, once each", () => {
    expect(
      dmarcExternalReportDomains("tenant-one.example", [
        "mailto:dmarc@tenant-one.example",
        "mailto:dmarc@reports.tenant-one.example",
        "mailto:agg@Vendor.Example!10m",
        "mailto:other@vendor.example",
        "mailto:dmarc@nottenant-one.example",
        "https://ignored.example.com/",
      ]),
    ).toEqual(["vendor.example", "nottenant-one.example"]);
    expect(dmarcExternalReportDomains("tenant-one.example", ["mailto:dmarc@tenant-one.example"])).toEqual([]);
  });

  it("names the authorization record the report domain must publish", () => {
    expect(dmarcReportAuthorizationName("Tenant-One.example.", "vendor.example")).toBe(
      "tenant-one.example._report._dmarc.vendor.example",
    );
    expect(dmarcReportAuthorizationName("example.com", "thirdparty.example.net")).toBe(
      "example.com._report._dmarc.thirdparty.example.net",
    );
    expect(isDmarcRecord(dmarcReportAuthorizationRecord)).toBe(true);
    expect(dmarcRecordName("tenant-one.example")).toBe("_dmarc.tenant-one.example");
  });
});
