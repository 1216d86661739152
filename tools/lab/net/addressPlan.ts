/**
 * Which addresses a lab run uses. Each run gets its own /27 and /64 so that concurrent runs
 * (parallel test files) never share a route in the root namespace, and no slot may overlap
 * anything this machine already has an address or a route for.
 */

import { bigIntToIpv4, bigIntToIpv6, cidrsOverlap, ipv4ToBigInt, ipv6ToBigInt, parseCidr, type Cidr } from "../../../baseline/cidr";
export interface AddressPair {
  v4: string;
  v6: string;
}

export interface LabSubnet {
  /** Both prefixes, in CIDR form. */
  cidr: AddressPair;
  prefixLength: { v4: number; v6: number };
  /** The test runner's end in the root namespace (where ssh, scp and Pulumi connect from). */
  runner: AddressPair;
  /** The booted Debian host. */
  host: AddressPair;
  /** The "internet" side, where probes run. */
  client: AddressPair;
  /** Further addresses the caller may add in the client namespace (a second scanner, a DNS server...). */
  spare: AddressPair[];
}

/** Documentation ranges (RFC 5737) split into /27s, with a ULA /64 per slot. */
const V4_POOLS = ["198.51.100.0", "203.0.113.0", "192.0.2.0"];
const V4_SLOT_BITS = 27;
const SLOTS_PER_POOL = 1 << (V4_SLOT_BITS - 24);
const V6_PREFIX = "fd42:1ab:0";
const SPARE_COUNT = 8;

export function labSubnetSlot(slot: number): LabSubnet {
  const pool = V4_POOLS[Math.floor(slot / SLOTS_PER_POOL)];
  if (pool === undefined) throw new Error(`lab subnet slot ${slot} does not exist`);
  const base = parseV4(pool) + (slot % SLOTS_PER_POOL) * (1 << (32 - V4_SLOT_BITS));
  const v6Base = ipv6ToBigInt(`${V6_PREFIX}:${slot.toString(16)}::`);
  const at = (offset: number): AddressPair => ({ v4: formatV4(base + offset), v6: bigIntToIpv6(v6Base + BigInt(offset)) });
  return {
    cidr: { v4: `${formatV4(base)}/${V4_SLOT_BITS}`, v6: `${bigIntToIpv6(v6Base)}/64` },
    prefixLength: { v4: V4_SLOT_BITS, v6: 64 },
    runner: at(1),
    host: at(2),
    client: at(3),
    spare: Array.from({ length: SPARE_COUNT }, (_, i) => at(4 + i)),
  };
}

export const LAB_SUBNET_SLOTS = V4_POOLS.length * SLOTS_PER_POOL;

/**
 * The first slot that overlaps none of `occupied` (prefixes or plain addresses from the root
 * namespace's addresses and routes; default routes must already be left out, since they
 * overlap everything by design and no traffic to a more specific lab route follows them).
 */
export function chooseLabSubnet(occupied: readonly string[]): LabSubnet {
  const taken = occupied.map(parsePrefix);
  for (let slot = 0; slot < LAB_SUBNET_SLOTS; slot++) {
    const candidate = labSubnetSlot(slot);
    const mine = [parsePrefix(candidate.cidr.v4), parsePrefix(candidate.cidr.v6)];
    if (!mine.some((m) => taken.some((t) => cidrsOverlap(m, t)))) return candidate;
  }
  throw new Error(
    `all ${LAB_SUBNET_SLOTS} lab subnets overlap this machine's addresses or other lab runs; ` +
      "stop leftover runs with `npx tsx tools/lab/debianHost/cli.ts down --all`",
  );
}

function parsePrefix(text: string): Cidr {
  // A link-local address may carry its zone (fe80::1%eth0); the zone does not change what it covers.
  const parsed = parseCidr(text.replace(/%[^/]*/, ""));
  if (!parsed.ok) throw new Error(`bad prefix "${text}": ${parsed.error}`);
  return parsed.cidr;
}

const parseV4 = (address: string): number => Number(ipv4ToBigInt(address));
const formatV4 = (value: number): string => bigIntToIpv4(BigInt(value));
