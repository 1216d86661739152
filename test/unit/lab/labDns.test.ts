// The lab DNS's pure parts. Knot itself, signing and a validating resolver: test/system/lab/labDns.test.ts.
import { describe, expect, it } from "vitest";
import { parseKdig, planZones, spoilDigest } from "../../../tools/lab/dns/labDns";

describe("planZones", () => {
  it("puts the root and the TLD first and gives each zone its closest enclosing zone as parent", () => {
    const zones = planZones("dnslab.", [
      { name: "secure.dnslab", records: ["mx A 192.0.2.1"] },
      { name: "bogus.dnslab", chain: "bogus-ds" },
      { name: "_tcp.mx.badtlsa.secure.dnslab", chain: "bogus-ds" },
    ]);
    expect(zones.map((z) => [z.name, z.parent, z.chain])).toEqual([
      [".", undefined, "secure"],
      ["dnslab.", ".", "secure"],
      ["secure.dnslab.", "dnslab.", "secure"],
      ["bogus.dnslab.", "dnslab.", "bogus-ds"],
      ["_tcp.mx.badtlsa.secure.dnslab.", "secure.dnslab.", "bogus-ds"],
    ]);
    expect(zones[2]!.records).toEqual(["mx A 192.0.2.1"]);
    expect(new Set(zones.map((z) => z.file)).size).toBe(zones.length);
  });

  it("refuses a zone outside the TLD, a repeated zone and a name that is not one", () => {
    expect(() => planZones("dnslab.", [{ name: "example.com" }])).toThrow(/not below the lab TLD/);
    expect(() => planZones("dnslab.", [{ name: "a.dnslab" }, { name: "a.dnslab." }])).toThrow(/listed twice/);
    expect(() => planZones("dnslab.", [{ name: "bad name.dnslab" }])).toThrow(/not a domain name/);
  });
});

describe("spoilDigest", () => {
  it("keeps key tag, algorithm and digest type, and changes the digest", () => {
    const ds = "6529 13 2 d0c1d370e354a38d37687e92899513d2e5a23041a8a1a8e72fa9f1accdb21bf7";
    const spoiled = spoilDigest(ds).split(" ");
    expect(spoiled.slice(0, 3)).toEqual(["6529", "13", "2"]);
    expect(spoiled[3]).toMatch(/^[0-9a-f]{64}$/);
    expect(spoiled[3]).not.toBe(ds.split(" ")[3]);
  });
});

describe("parseKdig", () => {
  it("reads the status, the flags and the answer section", () => {
    const text = [
      ";; ->>HEADER<<- opcode: QUERY; status: NOERROR; id: 4520",
      ";; Flags: qr rd ra ad; QUERY: 1; ANSWER: 2; AUTHORITY: 0; ADDITIONAL: 1",
      "",
      ";; ANSWER SECTION:",
      "www.secure.dnslab.  \t60\tIN\tA\t10.99.0.5",
      "www.secure.dnslab.  \t60\tIN\tRRSIG\tA 13 3 60 20261213213719 20261129200719 36124 secure.dnslab. dmcV==",
      "",
      ";; Received 170 B",
    ].join("\n");
    const answer = parseKdig(text);
    expect(answer.status).toBe("NOERROR");
    expect(answer.flags).toEqual(["qr", "rd", "ra", "ad"]);
    expect(answer.answer).toHaveLength(2);
    expect(parseKdig(";; ->>HEADER<<- opcode: QUERY; status: SERVFAIL; id: 1\n;; Flags: qr rd ra; QUERY: 1; ANSWER: 0\n")).toEqual({ status: "SERVFAIL", flags: ["qr", "rd", "ra"], answer: [] });
  });
});
