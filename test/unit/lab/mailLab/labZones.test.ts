// The tenant zone the lab serves: the planned Cloudflare records, the droplet's stand-in addresses replaced.
import { describe, expect, it } from "vitest";
import { labTld, remoteDomainFor, remoteZone, tenantZoneRecords } from "../../../../tools/lab/mailLab/labZones";
import { reverseName } from "../../../../tools/lab/mailLab/reverseDns";

const planned = { v4: "192.0.2.148", v6: "2001:db8:ff73::9285" };
const lab = { v4: "198.51.100.2", v6: "fd42:1ab::2" };

describe("tenantZoneRecords", () => {
  it("puts the lab host's addresses wherever the plan has the droplet's: A, AAAA and SPF terms", () => {
    const lines = tenantZoneRecords("tenant.example", [
      { name: "mail.tenant.example", type: "A", ttl: 3600, content: "192.0.2.148" },
      { name: "mail.tenant.example", type: "AAAA", ttl: 3600, content: "2001:db8:ff73::9285" },
      { name: "tenant.example", type: "TXT", ttl: 3600, content: '"v=spf1 ip4:192.0.2.148 ip6:2001:db8:ff73::9285 ~all"' },
    ], planned, lab);
    expect(lines).toEqual([
      "mail 3600 A 198.51.100.2",
      "mail 3600 AAAA fd42:1ab::2",
      '@ 3600 TXT "v=spf1 ip4:198.51.100.2 ip6:fd42:1ab::2 ~all"',
    ]);
  });

  it("leaves an address alone that only contains the planned one", () => {
    const [line] = tenantZoneRecords("tenant.example", [
      { name: "x.tenant.example", type: "TXT", content: '"192.0.2.1489 192.0.2.14 12001:db8:ff73::9285 2001:db8:ff73::92851 2001:db8:ff73::9285:1"' },
    ], planned, lab);
    expect(line).toBe('x 300 TXT "192.0.2.1489 192.0.2.14 12001:db8:ff73::9285 2001:db8:ff73::92851 2001:db8:ff73::9285:1"');
  });

  it("writes MX targets absolute and CAA and TLSA records from their data", () => {
    const lines = tenantZoneRecords("tenant.example", [
      { name: "tenant.example", type: "MX", priority: 10, content: "mail.tenant.example" },
      { name: "tenant.example", type: "CAA", data: { flags: 0, tag: "issue", value: "letsencrypt.org; validationmethods=dns-01" } },
      { name: "_25._tcp.mail.tenant.example", type: "TLSA", data: { usage: 3, selector: 1, matchingType: 1, certificate: "ab".repeat(32) } },
    ], planned, lab);
    expect(lines).toEqual([
      "@ 300 MX 10 mail.tenant.example.",
      '@ 300 CAA 0 issue "letsencrypt.org; validationmethods=dns-01"',
      `_25._tcp.mail 300 TLSA 3 1 1 ${"ab".repeat(32)}`,
    ]);
  });

  it("refuses a record outside the tenant zone and one without its data", () => {
    expect(() => tenantZoneRecords("tenant.example", [{ name: "other.example", type: "A", content: "192.0.2.1" }], planned, lab)).toThrow(/not in the tenant zone tenant\.example/);
    expect(() => tenantZoneRecords("tenant.example", [{ name: "tenant.example", type: "CAA", data: { flags: 0 } }], planned, lab)).toThrow(/no data\.tag/);
    expect(() => tenantZoneRecords("tenant.example", [{ name: "tenant.example", type: "TXT" }], planned, lab)).toThrow(/has no content/);
  });
});

describe("the remote domain and the TLD", () => {
  it("puts the remote domain under the tenant's TLD, never on the tenant's own name", () => {
    expect(labTld("tenant-one.example")).toBe("example");
    expect(remoteDomainFor("tenant-one.example")).toBe("remote.example");
    expect(remoteDomainFor("remote.example")).toBe("remote-mail.example");
    expect(remoteDomainFor("mail.remote.example")).toBe("remote-mail.example");
  });

  it("gives the remote domain its MX, SPF for the remote MTA, and a relay prober with its own name", () => {
    const zone = remoteZone("remote.example", { v4: "198.51.100.6", v6: "fd42:1ab::6" }, { v4: "198.51.100.9", v6: "fd42:1ab::9" });
    expect(zone.records).toEqual(expect.arrayContaining([
      "@ MX 10 mx",
      "mx A 198.51.100.6",
      "mx AAAA fd42:1ab::6",
      "relay-prober A 198.51.100.9",
      '@ TXT "v=spf1 ip4:198.51.100.6 ip6:fd42:1ab::6 -all"',
    ]));
  });
});

describe("reverseName", () => {
  it("names the PTR owner of an IPv4 and an IPv6 address", () => {
    expect(reverseName("198.51.100.34")).toBe("34.100.51.198.in-addr.arpa.");
    expect(reverseName("fd42:1ab:0:1::6")).toBe("6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.b.a.1.0.2.4.d.f.ip6.arpa.");
  });
});
