/**
 * Address ranges for namespace tests that this machine does not use itself (LAB-NOTES: the
 * machine's own interface once sat in 192.0.2.0/24 and fd00::/64).
 */
import { runOk } from "./hostCommands";

export interface TestAddressRanges {
  /** The first three octets of a free IPv4 /24, e.g. "198.51.100". */
  readonly ipv4Prefix: string;
  /** A free IPv6 /64 written as its first four groups, e.g. "fd42:1ab:0:0". */
  readonly ipv6Prefix: string;
}

const ipv4Candidates = ["198.51.100", "203.0.113", "100.100.77"];
const ipv6Candidates = ["fd42:1ab:0:0", "fd42:1ab:0:1", "fd42:77e:0:0"];

function expandIpv6(address: string): string[] {
  const [head = "", tail] = address.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const missing = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array<string>(missing).fill("0"), ...t].map((g) => parseInt(g, 16).toString(16));
}

/** The machine's own addresses in the root namespace, as prefixes of the candidates' shape. */
function usedPrefixes(): { ipv4: Set<string>; ipv6: Set<string> } {
  const interfaces = JSON.parse(runOk("ip", ["-j", "addr", "show"]).stdout) as { addr_info?: { family: string; local: string }[] }[];
  const ipv4 = new Set<string>();
  const ipv6 = new Set<string>();
  for (const info of interfaces.flatMap((i) => i.addr_info ?? [])) {
    if (info.family === "inet") ipv4.add(info.local.split(".").slice(0, 3).join("."));
    if (info.family === "inet6") ipv6.add(expandIpv6(info.local).slice(0, 4).join(":"));
  }
  return { ipv4, ipv6 };
}

export function freeTestAddressRanges(): TestAddressRanges {
  const used = usedPrefixes();
  const ipv4Prefix = ipv4Candidates.find((p) => !used.ipv4.has(p));
  const ipv6Prefix = ipv6Candidates.find((p) => !used.ipv6.has(p));
  if (!ipv4Prefix || !ipv6Prefix) throw new Error("every candidate test range is in use on this machine");
  return { ipv4Prefix, ipv6Prefix };
}
