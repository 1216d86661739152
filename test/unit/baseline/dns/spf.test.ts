import { describe, expect, it } from "vitest";
import {
  buildSpfRecord,
  isSpfRecord,
  parseSpf,
  spfDnsLookupCount,
  spfDnsLookupLimit,
  validateSpf,
  type SpfTerm,
} from "../../../../baseline/dns/spf";

function summary(terms: readonly SpfTerm[]): string[] {
  return terms.map((term) => {
    if (term.kind === "modifier") return `${term.name}=${term.value}`;
    const target = term.domainSpec ?? term.network ?? "";
    const ip6Separator = term.name === "ip6" ? "/" : "//";
    const cidr = `${term.ip4PrefixLength !== undefined ? `/${term.ip4PrefixLength}` : ""}${term.ip6PrefixLength !== undefined ? `${ip6Separator}${term.ip6PrefixLength}` : ""}`;
    return `${term.qualifier}${term.name}${target ? `:${target}` : ""}${cidr}`;
  });
}

describe("RFC 7208 examples", () => {
  it.each([
    ["v=spf1 +all", ["+all"]],
    ["v=spf1 a -all", ["+a", "-all"]],
    ["v=spf1 a:example.org -all", ["+a:example.org", "-all"]],
    ["v=spf1 mx -all", ["+mx", "-all"]],
    ["v=spf1 mx:example.org -all", ["+mx:example.org", "-all"]],
    ["v=spf1 mx mx:example.org -all", ["+mx", "+mx:example.org", "-all"]],
    ["v=spf1 mx/30 -all", ["+mx/30", "-all"]],
    ["v=spf1 mx/30 mx:example.org/30 -all", ["+mx/30", "+mx:example.org/30", "-all"]],
    ["v=spf1 ptr -all", ["+ptr", "-all"]],
    ["v=spf1 ip4:192.0.2.128/28 -all", ["+ip4:192.0.2.128/28", "-all"]],
    ["v=spf1 include:example.com include:example.net -all", ["+include:example.com", "+include:example.net", "-all"]],
    ["v=spf1 redirect=example.org", ["redirect=example.org"]],
    ["v=spf1 mx -exists:%{ir}.sbl.example.org -all", ["+mx", "-exists:%{ir}.sbl.example.org", "-all"]],
    [
      "v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all",
      ["-include:ip4._spf.%{d}", "-include:ptr._spf.%{d}", "+all"],
    ],
    ["v=spf1 -ip4:192.0.2.0/24 +all", ["-ip4:192.0.2.0/24", "+all"]],
    ["v=spf1 -ptr +all", ["-ptr", "+all"]],
    ["v=spf1 mx -all exp=explain._spf.%{d}", ["+mx", "-all", "exp=explain._spf.%{d}"]],
  ])("parses %s", (record, expected) => {
    const parsed = parseSpf(record);
    expect(parsed.isSpf).toBe(true);
    expect(parsed.problems).toEqual([]);
    expect(summary(parsed.terms)).toEqual(expected);
  });

  it.each([
    "%{ir}.%{v}._spf.%{d2}",
    "%{lr-}.lp._spf.%{d2}",
    "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
    "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
    "%{d2}.trusted-domains.example.net",
  ])("accepts the section 7.4 macro %s as an exists: target", (macro) => {
    expect(parseSpf(`v=spf1 exists:${macro} -all`).problems).toEqual([]);
  });

  it("judges the RFC examples by the baseline", () => {
    expect(validateSpf("v=spf1 a -all")).toEqual([]);
    expect(validateSpf("v=spf1 mx/30 mx:example.org/30 -all")).toEqual([]);
    expect(validateSpf("v=spf1 +all")).toEqual(['SPF: "+all" lets every host pass; end the record in "~all" or "-all"']);
    expect(validateSpf("v=spf1 ptr -all")).toEqual(['SPF: "ptr": the ptr mechanism should not be used (RFC 7208 5.5)']);
  });
});

describe("records written by others", () => {
  it.each([
    ["v=spf1 include:_spf.google.com mx -all", 2],
    ["v=spf1 redirect=_spf.example.com", 1],
    ["v=spf1 include:spf.protection.outlook.com -all", 1],
    ["V=SPF1 IP4:192.0.2.1 MX -ALL", 1],
    ["v=spf1   ip4:192.0.2.1    ip6:2001:db8::/32   ~all   ", 0],
    ["v=spf1 a/24 a:mail.example.com//64 ~all", 2],
    ["v=spf1 ip6:::ffff:192.0.2.1 -all", 0],
    ["v=spf1 include:example.com. -all", 1],
    ["v=spf1 ip4:192.0.2.1 ~all x-custom=%{d}", 0],
  ])("accepts %s", (record, lookups) => {
    expect(validateSpf(record)).toEqual([]);
    expect(spfDnsLookupCount(record)).toBe(lookups);
  });

  it("reads qualifiers, names and CIDR lengths regardless of case", () => {
    const parsed = parseSpf("v=spf1 ?MX:Example.org/24//64 ~IP6:2001:DB8::/48 -ALL");
    expect(summary(parsed.terms)).toEqual(["?mx:Example.org/24//64", "~ip6:2001:DB8::/48", "-all"]);
  });
});

describe("validateSpf failures", () => {
  it.each([
    ["+all", "v=spf1 ip4:192.0.2.10 +all", 'SPF: "+all" lets every host pass; end the record in "~all" or "-all"'],
    ["a bare all (implicit +)", "v=spf1 mx all", 'SPF: "all" lets every host pass; end the record in "~all" or "-all"'],
    ["?all", "v=spf1 mx ?all", 'SPF: "?all" leaves every other host neutral; end the record in "~all" or "-all"'],
    ["no all", "v=spf1 ip4:192.0.2.10", 'SPF: the record must end in "~all" or "-all"; it has no "all" mechanism'],
    ["mechanisms after all", "v=spf1 -all ip4:192.0.2.10", 'SPF: mechanisms after "-all" are never evaluated: ip4:192.0.2.10'],
    ["redirect beside all", "v=spf1 mx redirect=_spf.example.com -all", 'SPF: redirect= is ignored because the record has an "all" mechanism (RFC 7208 6.1)'],
    ["two redirects", "v=spf1 redirect=a.example.com redirect=b.example.com", "SPF: the redirect= modifier appears more than once (RFC 7208 6)"],
    ["an IPv4 prefix over 32", "v=spf1 ip4:192.0.2.0/33 -all", 'SPF ip4 term "ip4:192.0.2.0/33": "/33" is not a prefix length (0-32)'],
    ["an IPv6 prefix over 128", "v=spf1 ip6:2001:db8::/129 -all", 'SPF ip6 term "ip6:2001:db8::/129": "/129" is not a prefix length (0-128)'],
    ["a prefix with a leading zero", "v=spf1 ip4:192.0.2.0/024 -all", 'SPF ip4 term "ip4:192.0.2.0/024": "/024" is not a prefix length (0-32)'],
    ["an octet over 255", "v=spf1 ip4:192.0.2.300 -all", 'SPF ip4 term "ip4:192.0.2.300": "192.0.2.300" is not an IPv4 address'],
    ["an IPv4 address in ip6:", "v=spf1 ip6:192.0.2.1 -all", 'SPF ip6 term "ip6:192.0.2.1": "192.0.2.1" is not an IPv6 address'],
    ["an IPv6 zone index", "v=spf1 ip6:fe80::1%eth0 -all", 'SPF ip6 term "ip6:fe80::1%eth0": "fe80::1%eth0" is not an IPv6 address'],
    ["ip4 without an address", "v=spf1 ip4 -all", 'SPF: "ip4" needs ":<address>", found "ip4"'],
    ["an unknown mechanism", "v=spf1 spf2:example.com -all", 'SPF: unknown mechanism "spf2" in term "spf2:example.com"'],
    ["include without a domain", "v=spf1 include: -all", 'SPF include term "include:": the domain is empty'],
    ["include of a single label", "v=spf1 include:localhost -all", 'SPF include term "include:localhost": "localhost" is not a fully qualified domain'],
    ["a numeric top label", "v=spf1 a:host.123 -all", 'SPF a term "a:host.123": "host.123" does not end in a valid top-level label'],
    ["an invalid macro", "v=spf1 exists:%{x}.example.com -all", 'SPF exists term "exists:%{x}.example.com": invalid macro "%{x}.exa"'],
    ["all with an argument", "v=spf1 all:example.com", 'SPF: "all" takes no argument, found "all:example.com"'],
    ["a tab between terms", "v=spf1 mx\t-all", "SPF: terms must be separated by spaces; found a tab"],
    ["ip4 covering every address", "v=spf1 ip4:0.0.0.0/0 -all", 'SPF: "ip4:0.0.0.0/0" covers every address, the same as "+all"'],
    ["ip6 covering every address", "v=spf1 ip6:::/0 -all", 'SPF: "ip6:::/0" covers every address, the same as "+all"'],
    ["another version", "v=spf10 -all", 'SPF: record must start with "v=spf1" followed by a space'],
  ])("rejects %s", (_label, record, problem) => {
    expect(validateSpf(record)).toContain(problem);
  });

  it(`allows ${spfDnsLookupLimit} DNS-querying terms and rejects one more`, () => {
    const includes = (count: number) => Array.from({ length: count }, (_, index) => `include:spf${index}.example.com`).join(" ");
    expect(validateSpf(`v=spf1 ${includes(10)} -all`)).toEqual([]);
    expect(validateSpf(`v=spf1 ${includes(11)} -all`)).toEqual([
      "SPF: 11 DNS-querying terms (include, a, mx, ptr, exists, redirect); at most 10 are allowed (RFC 7208 4.6.4)",
    ]);
  });

  it("counts every kind of DNS-querying term, and not ip4, ip6, all or exp", () => {
    const record = "v=spf1 a mx ptr:example.com exists:%{i}.example.com include:a.example.com ip4:192.0.2.1 ip6:2001:db8::1 redirect=b.example.com exp=c.example.com";
    expect(spfDnsLookupCount(record)).toBe(6);
    expect(spfDnsLookupCount("v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 -all exp=explain.example.com")).toBe(0);
  });
});

describe("isSpfRecord", () => {
  it.each([
    ["v=spf1 -all", true],
    ["v=spf1", true],
    ["V=SPF1 mx -all", true],
    ["v=spf10 -all", false],
    ["v=spf1-all", false],
    [" v=spf1 -all", false],
    ["v=DMARC1; p=none", false],
    ["google-site-verification=abc", false],
  ])("%j is an SPF record: %s", (txt, expected) => {
    expect(isSpfRecord(txt)).toBe(expected);
  });
});

describe("buildSpfRecord", () => {
  it("writes the VPS's addresses and ~all, and the result validates", () => {
    const record = buildSpfRecord({ ip4: ["192.0.2.10"], ip6: ["2001:db8::10"], all: "softfail" });
    expect(record).toBe("v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 ~all");
    expect(validateSpf(record)).toEqual([]);
  });

  it("writes includes after the addresses and -all once the tenant hardens", () => {
    expect(buildSpfRecord({ ip4: ["192.0.2.10"], ip6: [], include: ["_spf.partner.example"], all: "fail" })).toBe(
      "v=spf1 ip4:192.0.2.10 include:_spf.partner.example -all",
    );
  });

  it("refuses input that would not validate, naming the term", () => {
    expect(() => buildSpfRecord({ ip4: ["192.0.2.300"], ip6: [], all: "fail" })).toThrow(
      '"192.0.2.300" is not an IPv4 address',
    );
    const include = Array.from({ length: 11 }, (_, index) => `spf${index}.example.com`);
    expect(() => buildSpfRecord({ ip4: [], ip6: [], include, all: "fail" })).toThrow("11 DNS-querying terms");
  });
});
