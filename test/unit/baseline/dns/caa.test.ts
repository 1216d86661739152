import { describe, expect, it } from "vitest";
import { buildCaaRecords, caaPermitsIssuance, formatCaaRecord, parseCaaRecord, validateCaaRecords, type CaaRecordData } from "../../../../baseline/dns/caa";

const accountUri = "https://acme-v02.api.letsencrypt.org/acme/acct/123456789";

describe("buildCaaRecords", () => {
  it("lets only the CA issue by DNS-01, forbids wildcards and names a report address", () => {
    const records = buildCaaRecords({ issuer: "letsencrypt.org", validationMethods: ["dns-01"], iodef: "mailto:security@tenant-one.example" });
    expect(records.map(formatCaaRecord)).toEqual([
      '0 issue "letsencrypt.org; validationmethods=dns-01"',
      '0 issuewild ";"',
      '0 iodef "mailto:security@tenant-one.example"',
    ]);
    expect(validateCaaRecords(records)).toEqual([]);
  });

  it("binds issuance to the ACME account once it exists (RFC 8657)", () => {
    const [issue] = buildCaaRecords({ issuer: "letsencrypt.org", validationMethods: ["dns-01"], accountUri });
    expect(formatCaaRecord(issue)).toBe(`0 issue "letsencrypt.org; validationmethods=dns-01; accounturi=${accountUri}"`);
  });

  it("leaves out what is not given", () => {
    expect(buildCaaRecords({ issuer: "letsencrypt.org" }).map(formatCaaRecord)).toEqual(['0 issue "letsencrypt.org"', '0 issuewild ";"']);
  });

  it.each([
    [{ issuer: "lets encrypt" }, '"lets encrypt" is not a valid issuer domain name'],
    [{ issuer: "" }, "CAA issuer: an issuer domain is required"],
    [{ issuer: "letsencrypt.org", validationMethods: ["dns 01"] }, "parameter"],
    [{ issuer: "letsencrypt.org", iodef: "security@tenant-one.example" }, '"security@tenant-one.example" must be a mailto:, https: or http: URL (RFC 8659 4.4)'],
  ])("refuses invalid input (%#)", (args, message) => {
    expect(() => buildCaaRecords(args)).toThrow(message);
  });
});

describe("RFC 8659 and RFC 8657 records", () => {
  it.each([
    ['0 issue "ca1.example.net"', { flags: 0, tag: "issue", value: "ca1.example.net" }],
    ['0 issue "ca1.example.net; account=230123"', { flags: 0, tag: "issue", value: "ca1.example.net; account=230123" }],
    ['0 issuewild ";"', { flags: 0, tag: "issuewild", value: ";" }],
    ['0 iodef "mailto:security@example.com"', { flags: 0, tag: "iodef", value: "mailto:security@example.com" }],
    ['0 iodef "https://iodef.example.com/"', { flags: 0, tag: "iodef", value: "https://iodef.example.com/" }],
    ['128 ISSUE "example.net; validationmethods=dns-01,http-01"', { flags: 128, tag: "issue", value: "example.net; validationmethods=dns-01,http-01" }],
    ["0 issue letsencrypt.org", { flags: 0, tag: "issue", value: "letsencrypt.org" }],
  ])("reads %s", (text, expected) => {
    const record = parseCaaRecord(text);
    expect(record).toEqual(expected);
    expect(validateCaaRecords([record])).toEqual(record.tag === "issue" ? [] : ['CAA: no "issue" record, so every CA may issue certificates for this name']);
  });

  it("round-trips through formatCaaRecord", () => {
    const record = { flags: 0, tag: "issue" as const, value: `example.net; accounturi=${accountUri}` };
    expect(parseCaaRecord(formatCaaRecord(record))).toEqual(record);
  });

  it.each([
    ['0 tbs "Unknown"', 'CAA record "0 tbs "Unknown"": tag "tbs" is not one of issue, issuewild, iodef'],
    ['256 issue "ca.example.net"', 'CAA record "256 issue "ca.example.net"": flags 256 is above 255'],
    ["issue ca.example.net", 'CAA record "issue ca.example.net" is not "<flags> <tag> <value>"'],
    ['0 issue "a" "b"', 'CAA record "0 issue "a" "b"": the value must be one string'],
  ])("refuses to read %s", (text, message) => {
    expect(() => parseCaaRecord(text)).toThrow(message);
  });

  it("accepts the other registered tags written by others", () => {
    const records: CaaRecordData[] = [
      { flags: 0, tag: "issue", value: "letsencrypt.org" },
      { flags: 0, tag: "issuemail", value: "mail-ca.example" },
      { flags: 0, tag: "contactemail", value: "domains@example.com" },
    ];
    expect(validateCaaRecords(records)).toEqual([]);
  });
});

describe("validateCaaRecords failures", () => {
  const issue: CaaRecordData = { flags: 0, tag: "issue", value: "letsencrypt.org" };

  it.each([
    ["an unknown tag", { flags: 0, tag: "tbs", value: "Unknown" }, 'CAA 0 tbs "Unknown": unknown tag "tbs"'],
    ["a critical unknown tag", { flags: 128, tag: "tbs", value: "Unknown" }, 'CAA 128 tbs "Unknown": unknown tag "tbs"'],
    ["a reserved tag", { flags: 0, tag: "policy", value: "x" }, 'CAA 0 policy "x": tag "policy" is reserved and must not be used (RFC 8659 7.2)'],
    ["a tag over 15 characters", { flags: 0, tag: "issuewildcardsxx", value: ";" }, 'CAA 0 issuewildcardsxx ";": tag must be 1 to 15 ASCII letters or digits'],
    ["reserved flag bits", { flags: 1, tag: "issue", value: "letsencrypt.org" }, 'CAA 1 issue "letsencrypt.org": flags may only set the Issuer Critical bit (128); the other bits are reserved (RFC 8659 4.1)'],
    ["flags out of range", { flags: 300, tag: "issue", value: "letsencrypt.org" }, 'CAA 300 issue "letsencrypt.org": flags must be an integer from 0 to 255'],
    ["an invalid issuer", { flags: 0, tag: "issue", value: "-bad-.example" }, 'CAA 0 issue "-bad-.example": "-bad-.example" is not a valid issuer domain name'],
    ["an invalid parameter", { flags: 0, tag: "issue", value: "letsencrypt.org; validationmethods" }, 'CAA 0 issue "letsencrypt.org; validationmethods": parameter "validationmethods" is not "tag=value"'],
    ["an invalid validationmethods list", { flags: 0, tag: "issue", value: "letsencrypt.org; validationmethods=dns-01,,http-01" }, 'CAA 0 issue "letsencrypt.org; validationmethods=dns-01,,http-01": validationmethods "dns-01,,http-01" must be ACME challenge types separated by commas (RFC 8657)'],
    ["an invalid accounturi", { flags: 0, tag: "issue", value: "letsencrypt.org; accounturi=not-a-uri" }, 'CAA 0 issue "letsencrypt.org; accounturi=not-a-uri": accounturi "not-a-uri" is not a valid URI (RFC 8657)'],
    ["an iodef without a scheme", { flags: 0, tag: "iodef", value: "security@example.com" }, 'CAA 0 iodef "security@example.com": "security@example.com" must be a mailto:, https: or http: URL (RFC 8659 4.4)'],
    ["an iodef with a bad address", { flags: 0, tag: "iodef", value: "mailto:security@localhost" }, 'CAA 0 iodef "mailto:security@localhost": "mailto:security@localhost": "localhost" is not a valid mail domain'],
  ])("rejects %s", (_label, record, problem) => {
    expect(validateCaaRecords([issue, record])).toContain(problem);
  });

  it("rejects a set without an issue record", () => {
    expect(validateCaaRecords([{ flags: 0, tag: "issuewild", value: ";" }])).toEqual([
      'CAA: no "issue" record, so every CA may issue certificates for this name',
    ]);
    expect(validateCaaRecords([])).toEqual([]);
  });
});

describe("caaPermitsIssuance: what a CA decides (RFC 8659 4, RFC 8657)", () => {
  const records = buildCaaRecords({ issuer: "letsencrypt.org", validationMethods: ["dns-01"], accountUri, iodef: "mailto:security@tenant-one.example" });
  const request = { issuer: "letsencrypt.org", accountUri, validationMethod: "dns-01" };

  it("lets only our account at our CA issue, by DNS-01, and no one issue a wildcard", () => {
    expect(caaPermitsIssuance(records, request)).toBe(true);
    expect(caaPermitsIssuance(records, { ...request, issuer: "LetsEncrypt.org" })).toBe(true);
    expect(caaPermitsIssuance(records, { ...request, accountUri: "https://acme-v02.api.letsencrypt.org/acme/acct/1" })).toBe(false);
    expect(caaPermitsIssuance(records, { ...request, validationMethod: "http-01" })).toBe(false);
    expect(caaPermitsIssuance(records, { ...request, issuer: "pki.goog" })).toBe(false);
    expect(caaPermitsIssuance(records, { ...request, wildcard: true })).toBe(false);
  });

  it("lets any CA issue without an issue record, and any account where the record names none", () => {
    expect(caaPermitsIssuance([{ flags: 0, tag: "iodef", value: "mailto:a@example.com" }], request)).toBe(true);
    expect(caaPermitsIssuance([{ flags: 0, tag: "issue", value: "letsencrypt.org" }], { ...request, accountUri: "https://other.example/acct/2" })).toBe(true);
  });
});
