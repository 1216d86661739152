import { describe, expect, it } from "vitest";
import { cidrCoversEverything, cidrHasHostBitsSet, cidrsOverlap, parseCidr } from "../../../baseline/cidr";

function parsed(text: string) {
  const result = parseCidr(text);
  if (!result.ok) throw new Error(result.error);
  return result.cidr;
}

describe("parseCidr", () => {
  it.each([
    ["203.0.113.0/24", 4, 24, "203.0.113.0/24"],
    ["203.0.113.9", 4, 32, "203.0.113.9/32"],
    ["2001:db8::/32", 6, 32, "2001:db8::/32"],
    ["2001:db8:0:0:1::1/128", 6, 128, "2001:db8::1:0:0:1/128"],
    ["::ffff:192.0.2.1/128", 6, 128, "::ffff:c000:201/128"],
    ["0.0.0.0/0", 4, 0, "0.0.0.0/0"],
  ])("parses %s", (text, family, prefix, network) => {
    expect(parsed(text)).toMatchObject({ family, prefixLength: prefix, network });
  });

  it.each(["203.0.113.0/33", "2001:db8::/129", "203.0.113.0/024", "203.0.113/24", "fe80::1%eth0/64", " 203.0.113.0/24", "host.example/32"])("rejects %j", (text) => {
    expect(parseCidr(text).ok).toBe(false);
  });

  it("tells blocks with host bits set", () => {
    expect(cidrHasHostBitsSet(parsed("203.0.113.7/24"))).toBe(true);
    expect(cidrHasHostBitsSet(parsed("203.0.113.0/24"))).toBe(false);
    expect(cidrHasHostBitsSet(parsed("2001:db8::1/64"))).toBe(true);
    expect(cidrHasHostBitsSet(parsed("2001:db8:1:2::/64"))).toBe(false);
  });

  it("recognises every spelling of 'everything'", () => {
    for (const text of ["0.0.0.0/0", "::/0", "0::0/0", "10.0.0.0/0"]) expect(cidrCoversEverything(parsed(text))).toBe(true);
    expect(cidrCoversEverything(parsed("0.0.0.0/1"))).toBe(false);
  });
});

describe("cidrsOverlap", () => {
  it.each([
    ["198.51.100.0/27", "198.51.100.16/28", true],
    ["198.51.100.0/27", "198.51.100.32/27", false],
    ["198.51.100.5", "198.51.100.0/24", true],
    ["fd42:1ab:0:1::/64", "fd42:1ab::/48", true],
    ["fd42:1ab:0:1::/64", "fd42:1ab:0:2::/64", false],
    ["198.51.100.0/24", "::/0", false],
  ])("%s and %s: %s", (a, b, expected) => {
    expect(cidrsOverlap(parsed(a), parsed(b))).toBe(expected);
    expect(cidrsOverlap(parsed(b), parsed(a))).toBe(expected);
  });
});
