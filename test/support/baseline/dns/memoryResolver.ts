/**
 * An in-memory DNS resolver shaped like `dns.promises.resolve(name, rrtype)`, for mailauth's
 * `resolver` option and any test that needs a zone without a DNS server. TXT answers come back
 * as the character-strings splitTxtValue makes, as a real resolver returns them.
 */

import { splitTxtValue } from "../../../../baseline/dns/txt";

export interface MxRecord {
  readonly exchange: string;
  readonly priority: number;
}

export interface ZoneNode {
  /** Each entry is one TXT record's joined value. */
  readonly TXT?: readonly string[];
  readonly MX?: readonly MxRecord[];
  readonly A?: readonly string[];
  readonly AAAA?: readonly string[];
  readonly PTR?: readonly string[];
}

/** Owner names, fully qualified, without the trailing dot. */
export type Zone = Readonly<Record<string, ZoneNode>>;

export type DnsAnswer = string[] | string[][] | MxRecord[];

export interface DnsQuery {
  readonly name: string;
  readonly rrtype: string;
}

export interface MemoryResolver {
  (name: string, rrtype: string): Promise<DnsAnswer>;
  /** Every query asked so far, in order. */
  readonly queries: DnsQuery[];
}

const syscallByType: Readonly<Record<string, string>> = {
  A: "queryA",
  AAAA: "queryAaaa",
  MX: "queryMx",
  TXT: "queryTxt",
  PTR: "queryPtr",
};

/** An error like node's resolver throws: `code` ENOTFOUND (no such name) or ENODATA (no such type). */
export function dnsError(code: "ENOTFOUND" | "ENODATA", name: string, rrtype: string): Error {
  const syscall = syscallByType[rrtype] ?? `query${rrtype}`;
  return Object.assign(new Error(`${syscall} ${code} ${name}`), { code, syscall, hostname: name });
}

function canonical(name: string): string {
  return name.replace(/\.$/, "").toLowerCase();
}

export function createMemoryResolver(zone: Zone): MemoryResolver {
  const nodes = new Map(Object.entries(zone).map(([name, node]) => [canonical(name), node]));
  const queries: DnsQuery[] = [];

  const answer = (node: ZoneNode, rrtype: string): DnsAnswer | undefined => {
    switch (rrtype) {
      case "TXT":
        return node.TXT?.map(splitTxtValue);
      case "MX":
        return node.MX?.map((record) => ({ ...record }));
      case "A":
        return node.A ? [...node.A] : undefined;
      case "AAAA":
        return node.AAAA ? [...node.AAAA] : undefined;
      case "PTR":
        return node.PTR ? [...node.PTR] : undefined;
      default:
        return undefined;
    }
  };

  const resolver = async (name: string, rrtype: string): Promise<DnsAnswer> => {
    queries.push({ name, rrtype });
    const owner = canonical(name);
    const node = nodes.get(owner);
    // A name with records below it exists even when it holds none itself (RFC 8020).
    const exists = node !== undefined || [...nodes.keys()].some((key) => key.endsWith(`.${owner}`));
    if (!exists) throw dnsError("ENOTFOUND", name, rrtype);
    const records = node ? answer(node, rrtype) : undefined;
    if (!records || records.length === 0) throw dnsError("ENODATA", name, rrtype);
    return records;
  };
  return Object.assign(resolver, { queries });
}
