/**
 * IP addresses and CIDR blocks as the firewall rules use them, parsed with ip-address (which refuses
 * leading zeros, short forms and prefixes past the family's width) and a few rules of our own: no
 * surrounding whitespace, no zone index, a prefix written in plain decimal.
 */

import { Address4, Address6 } from "ip-address";

/** A parsed CIDR block: family, the address as written, its prefix length and its first and last address. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  /** The block written with host bits cleared, in canonical form (RFC 5952 for IPv6), e.g. 192.0.2.0/24. */
  readonly network: string;
  readonly first: bigint;
  readonly last: bigint;
}

export type CidrParseResult = { ok: true; cidr: Cidr } | { ok: false; error: string };

export function ipv4ToBigInt(address: string): bigint {
  return new Address4(address).bigInt();
}

export function bigIntToIpv4(value: bigint): string {
  return Address4.fromBigInt(value).correctForm();
}

export function ipv6ToBigInt(address: string): bigint {
  return new Address6(address).bigInt();
}

/** RFC 5952 text (the form `ip` prints), so addresses compare equal as strings. */
export function bigIntToIpv6(value: bigint): string {
  return Address6.fromBigInt(value).correctForm();
}

/** Parses `address/prefix` (a bare address counts as a single host). */
export function parseCidr(text: string): CidrParseResult {
  if (text.trim() !== text) return { ok: false, error: `"${text}" has surrounding whitespace` };
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  if (address.includes("%")) return { ok: false, error: `"${text}" carries a zone index, which a firewall rule cannot use` };
  if (prefixText !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) {
    return { ok: false, error: `"${text}" has an invalid prefix length "${prefixText}"` };
  }
  const family = Address4.isValid(address) ? 4 : Address6.isValid(address) ? 6 : undefined;
  if (family === undefined) return { ok: false, error: `"${text}" is not an IPv4 or IPv6 address or CIDR block` };
  const maxPrefix = family === 4 ? 32 : 128;
  const prefixLength = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (prefixLength > maxPrefix) {
    return { ok: false, error: `"${text}" has prefix length ${prefixLength}, above the IPv${family} maximum of ${maxPrefix}` };
  }
  const block = family === 4 ? new Address4(`${address}/${prefixLength}`) : new Address6(`${address}/${prefixLength}`);
  const first = block.startAddress().bigInt();
  const last = block.endAddress().bigInt();
  return { ok: true, cidr: { family, address, prefixLength, network: `${block.startAddress().correctForm()}/${prefixLength}`, first, last } };
}

/** True when the block's host bits are not all zero (it is not written as its network). */
export function cidrHasHostBitsSet(cidr: Cidr): boolean {
  return (cidr.family === 4 ? ipv4ToBigInt(cidr.address) : ipv6ToBigInt(cidr.address)) !== cidr.first;
}

/** True when the block covers every address of its family (0.0.0.0/0, ::/0 and their spellings). */
export function cidrCoversEverything(cidr: Cidr): boolean {
  return cidr.prefixLength === 0;
}

/** True when the two blocks share an address (one contains the other). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** How many addresses a block holds. */
export function cidrAddressCount(cidr: Cidr): bigint {
  return cidr.last - cidr.first + 1n;
}

/** How many distinct addresses a list of blocks opens per family, overlaps counted once. */
export function coveredAddressCounts(cidrs: readonly Cidr[]): { readonly ipv4: bigint; readonly ipv6: bigint } {
  const count = (family: 4 | 6): bigint => {
    const blocks = cidrs.filter((c) => c.family === family).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    let total = 0n;
    let end = -1n;
    for (const block of blocks) {
      const start = block.first > end ? block.first : end + 1n;
      if (block.last >= start) total += block.last - start + 1n;
      if (block.last > end) end = block.last;
    }
    return total;
  };
  return { ipv4: count(4), ipv6: count(6) };
}

/**
 * IPv6 ranges that stand for IPv4 addresses or relay to them: a firewall rule over one of them
 * opens (parts of) the IPv4 internet through the back door, whatever its prefix length.
 * @source IANA IPv6 Special-Purpose Address Registry (RFC 6890)
 */
export const ipv4TranslationRanges: readonly { readonly cidr: string; readonly name: string }[] = [
  { cidr: "::ffff:0:0/96", name: "IPv4-mapped addresses (RFC 4291)" },
  { cidr: "::/96", name: "IPv4-compatible addresses (RFC 4291, deprecated)" },
  { cidr: "::ffff:0:0:0/96", name: "IPv4-translated addresses (RFC 2765)" },
  { cidr: "64:ff9b::/96", name: "the NAT64 well-known prefix (RFC 6052)" },
  { cidr: "64:ff9b:1::/48", name: "the NAT64 local-use prefix (RFC 8215)" },
  { cidr: "2002::/16", name: "6to4 (RFC 3056)" },
  { cidr: "2001::/32", name: "Teredo (RFC 4380)" },
];

/** The translation range a block overlaps, if any. */
export function ipv4TranslationRangeOf(cidr: Cidr): string | undefined {
  if (cidr.family !== 6) return undefined;
  return ipv4TranslationRanges.find((range) => {
    const parsed = parseCidr(range.cidr);
    return parsed.ok && cidrsOverlap(parsed.cidr, cidr);
  })?.name;
}
