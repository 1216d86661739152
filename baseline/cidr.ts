import { isIPv4, isIPv6 } from "node:net";

/** A parsed CIDR block: family, the address as written, and its prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  /** The block written with host bits cleared, e.g. 192.0.2.0/24 for 192.0.2.7/24. */
  readonly network: string;
}

export type CidrParseResult = { ok: true; cidr: Cidr } | { ok: false; error: string };

export function ipv4ToBigInt(address: string): bigint {
  return address.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

export function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

export function ipv6ToBigInt(address: string): bigint {
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const expand = (groups: string[]): string[] =>
    groups.flatMap((g) => {
      if (!isIPv4(g)) return [g];
      const v = ipv4ToBigInt(g);
      return [((v >> 16n) & 0xffffn).toString(16), (v & 0xffffn).toString(16)];
    });
  const h = expand(headGroups);
  const t = expand(tailGroups);
  const missing = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array(missing).fill("0"), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** RFC 5952 text (the form `ip` prints), so addresses compare equal as strings. */
export function bigIntToIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** Parses `address/prefix` (a bare address counts as a single host). */
export function parseCidr(text: string): CidrParseResult {
  const trimmed = text.trim();
  if (trimmed !== text) return { ok: false, error: `"${text}" has surrounding whitespace` };
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
  if (family === undefined) return { ok: false, error: `"${text}" is not an IPv4 or IPv6 address or CIDR block` };
  if (address.includes("%")) return { ok: false, error: `"${text}" carries a zone index, which a firewall rule cannot use` };
  const maxPrefix = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) {
    return { ok: false, error: `"${text}" has an invalid prefix length "${prefixText}"` };
  }
  const prefixLength = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (prefixLength > maxPrefix) {
    return { ok: false, error: `"${text}" has prefix length ${prefixLength}, above the IPv${family} maximum of ${maxPrefix}` };
  }
  const bits = BigInt(maxPrefix);
  const value = family === 4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
  const hostMask = (1n << (bits - BigInt(prefixLength))) - 1n;
  const networkValue = value & ~hostMask & ((1n << bits) - 1n);
  const networkAddress = family === 4 ? bigIntToIpv4(networkValue) : bigIntToIpv6(networkValue);
  return {
    ok: true,
    cidr: { family, address, prefixLength, network: `${networkAddress}/${prefixLength}` },
  };
}

/** True when the block's host bits are all zero (the block is written as its network). */
export function cidrHasHostBitsSet(cidr: Cidr): boolean {
  const normalized = parseCidr(cidr.network);
  if (!normalized.ok) return true;
  const same = cidr.family === 4
    ? ipv4ToBigInt(cidr.address) === ipv4ToBigInt(normalized.cidr.address)
    : ipv6ToBigInt(cidr.address) === ipv6ToBigInt(normalized.cidr.address);
  return !same;
}

/** True when the block covers every address of its family (0.0.0.0/0, ::/0 and their spellings). */
export function cidrCoversEverything(cidr: Cidr): boolean {
  return cidr.prefixLength === 0;
}

/** True when the two blocks share an address (one contains the other). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const toValue = (c: Cidr): bigint => (c.family === 4 ? ipv4ToBigInt(c.address) : ipv6ToBigInt(c.address));
  const shift = BigInt((a.family === 4 ? 32 : 128) - Math.min(a.prefixLength, b.prefixLength));
  return toValue(a) >> shift === toValue(b) >> shift;
}
