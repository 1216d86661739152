import { describe, expect, it } from "vitest";
import { buildTlsRptRecord, isTlsRptRecord, parseTlsRpt, tlsRptRecordName, validateTlsRpt } from "../../../../baseline/dns/tlsRpt";

describe("buildTlsRptRecord", () => {
  it("publishes mailto: report addresses", () => {
    expect(buildTlsRptRecord({ rua: ["mailto:tls-reports@tenant-one.example"] })).toBe("v=TLSRPTv1; rua=mailto:tls-reports@tenant-one.example");
    const two = buildTlsRptRecord({ rua: ["mailto:a@tenant-one.example", "mailto:b@vendor.example"] });
    expect(two).toBe("v=TLSRPTv1; rua=mailto:a@tenant-one.example,mailto:b@vendor.example");
    expect(validateTlsRpt(two)).toEqual([]);
    expect(tlsRptRecordName("tenant-one.example")).toBe("_smtp._tls.tenant-one.example");
  });

  it("accepts only mailto: from our config", () => {
    expect(() => buildTlsRptRecord({ rua: ["https://reporting.example.com/v1/tlsrpt"] })).toThrow(
      'TLS-RPT rua: "https://reporting.example.com/v1/tlsrpt" is not a mailto: URI',
    );
    expect(() => buildTlsRptRecord({ rua: [] })).toThrow("TLS-RPT rua: at least one mailto: URI is required");
  });
});

describe("RFC 8460 records", () => {
  it.each([
    "v=TLSRPTv1;rua=mailto:reports@example.com",
    "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt",
    "v=TLSRPTv1; rua=mailto:reports@example.com,https://reporting.example.com/v1/tlsrpt;",
    "v=TLSRPTv1 ; rua=mailto:reports@example.com ; ext.1=yes",
  ])("accepts %s", (record) => {
    expect(validateTlsRpt(record)).toEqual([]);
  });

  it("reads both kinds of report URI and extension fields", () => {
    expect(parseTlsRpt("v=TLSRPTv1; rua=mailto:reports@example.com, https://reporting.example.com/v1/tlsrpt; ext=1")).toEqual({
      version: "TLSRPTv1",
      rua: ["mailto:reports@example.com", "https://reporting.example.com/v1/tlsrpt"],
      extensions: { ext: "1" },
      problems: [],
    });
  });

  it.each([
    ["no rua", "v=TLSRPTv1;", "TLS-RPT: rua= is required"],
    ["an http: rua", "v=TLSRPTv1; rua=http://reporting.example.com/", 'TLS-RPT rua: "http://reporting.example.com/" must be a mailto: or https: URI'],
    ["an invalid mailto:", "v=TLSRPTv1; rua=mailto:reports", 'TLS-RPT rua: "mailto:reports": no "@" in the address'],
    ["an https: URI without a host name", "v=TLSRPTv1; rua=https://192.0.2.1/", 'TLS-RPT rua: "https://192.0.2.1/" does not name a valid host'],
    ["another version", "v=TLSRPTv2; rua=mailto:reports@example.com", 'TLS-RPT: v=TLSRPTv2 must be "TLSRPTv1" (case-sensitive)'],
    ["a lower-case version", "v=tlsrptv1; rua=mailto:reports@example.com", 'TLS-RPT: v=tlsrptv1 must be "TLSRPTv1" (case-sensitive)'],
    ["v= not first", "rua=mailto:reports@example.com; v=TLSRPTv1", "TLS-RPT: v= must be the first field"],
    ["an upper-case RUA", "v=TLSRPTv1; RUA=mailto:reports@example.com", "TLS-RPT: rua= is required"],
    ["an empty entry", "v=TLSRPTv1; rua=mailto:reports@example.com,", "TLS-RPT rua: empty entry in the rua list"],
    ["spaces around =", "v=TLSRPTv1; rua = mailto:reports@example.com", 'TLS-RPT: no spaces are allowed around "=" in "rua"'],
  ])("rejects %s", (_label, record, problem) => {
    expect(validateTlsRpt(record)).toContain(problem);
  });

  it.each([
    ["v=TLSRPTv1; rua=mailto:a@example.com", true],
    ["v=TLSRPTv1", true],
    ["v=TLSRPTv10; rua=mailto:a@example.com", false],
    ["v=STSv1; id=1", false],
  ])("%j is a TLS-RPT record: %s", (txt, expected) => {
    expect(isTlsRptRecord(txt)).toBe(expected);
  });
});
