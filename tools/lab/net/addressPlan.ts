/**
 * Which addresses a lab run uses. Each run gets its own /27 and /64 so that concurrent runs
 * (parallel test files) never share a route in the root namespace, and no slot may overlap
 * anything this machine already has an address or a route for.
 */

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
  const v6Base = parseV6(`${V6_PREFIX}:${slot.toString(16)}::`);
  const at = (offset: number): AddressPair => ({ v4: formatV4(base + offset), v6: formatV6(v6Base + BigInt(offset)) });
  return {
    cidr: { v4: `${formatV4(base)}/${V4_SLOT_BITS}`, v6: `${formatV6(v6Base)}/64` },
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
    if (!mine.some((m) => taken.some((t) => overlaps(m, t)))) return candidate;
  }
  throw new Error(
    `all ${LAB_SUBNET_SLOTS} lab subnets overlap this machine's addresses or other lab runs; ` +
      "stop leftover runs with `npx tsx tools/lab/debianHost/cli.ts down --all`",
  );
}

interface Prefix {
  family: 4 | 6;
  value: bigint;
  length: number;
}

function parsePrefix(text: string): Prefix {
  const [address = "", lengthText] = text.split("/");
  const family = address.includes(":") ? 6 : 4;
  const max = family === 4 ? 32 : 128;
  const length = lengthText === undefined ? max : Number(lengthText);
  if (!Number.isInteger(length) || length < 0 || length > max) throw new Error(`bad prefix "${text}"`);
  const value = family === 4 ? BigInt(parseV4(address)) : parseV6(address);
  return { family, value, length };
}

function overlaps(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const common = Math.min(a.length, b.length);
  const shift = BigInt(bits - common);
  return a.value >> shift === b.value >> shift;
}

function parseV4(address: string): number {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`bad IPv4 address "${address}"`);
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

function formatV4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

/** RFC 5952 text: the form `ip` prints, so addresses compare equal as strings everywhere. */
function formatV6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(16 * (7 - i))) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** "::ffff:192.0.2.1" style: the dotted tail stands for the last two groups. */
function embeddedV4(group: string): string[] {
  if (!group.includes(".")) return [group];
  const value = parseV4(group);
  return [(value >>> 16).toString(16), (value & 0xffff).toString(16)];
}

function parseV6(address: string): bigint {
  const plain = address.split("%")[0] ?? "";
  const [head = "", tail] = plain.split("::");
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":").flatMap(embeddedV4));
  const headGroups = groups(head);
  const tailGroups = tail === undefined ? [] : groups(tail);
  const missing = 8 - headGroups.length - tailGroups.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) throw new Error(`bad IPv6 address "${address}"`);
  const all = [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
  return all.reduce((acc, g) => {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) throw new Error(`bad IPv6 address "${address}"`);
    return (acc << 16n) | BigInt(parseInt(g, 16));
  }, 0n);
}
