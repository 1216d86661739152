/**
 * A DNSSEC "internet" for the lab: Knot DNS serving a signed root zone `.`, a signed lab
 * top-level domain and the zones a caller asks for, each signed by knot itself
 * (`dnssec-signing: on`) and delegated from its parent with the DS of its key. A zone may be
 * made bogus on purpose: its parent then publishes a DS with the right key tag and algorithm but
 * a digest that matches no key of the zone, so a validating resolver answers SERVFAIL for
 * every name in it (a resolver that does not validate answers as usual).
 *
 * One knotd serves every zone from the addresses it is given; all zones name the same server
 * (`ns.<tld>.`, glue in the root). A resolver that should use this root instead of the
 * internet's needs rootHints and rootTrustAnchor (see labRoot.ts for a lab host).
 */

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressPair } from "../net/addressPlan";
import { run, runChecked } from "../net/run";
import { startDaemon, waitUntilReady, type Daemon } from "../acme/daemon";
import { findProgram } from "../acme/packages";
import { renderKnotConf } from "./knotConf";

export interface LabZone {
  /** Domain name below the lab TLD, without the trailing dot: "secure.dnslab". */
  readonly name: string;
  /**
   * Zone-file lines relative to the zone's origin (`mx A 198.51.100.2`, `@ MX 10 mx`). SOA and
   * NS are the lab's; delegations to the other zones are added.
   */
  readonly records?: readonly string[];
  /** "secure" (default): the parent's DS matches the zone's key. "bogus-ds": it matches no key. */
  readonly chain?: "secure" | "bogus-ds";
}

export interface LabDnsOptions {
  /**
   * Network namespace knot runs in. The lab host's namespace has no default route, so put it on
   * the host's link: the lab's client namespace.
   */
  readonly netns: string;
  /** Addresses knot listens on (port 53); added to `device` in that namespace while it runs. */
  readonly address: AddressPair;
  readonly prefixLength: { readonly v4: number; readonly v6: number };
  /** Default "eth0". */
  readonly device?: string;
  /** The lab's top-level domain, delegated from the root; default "dnslab". */
  readonly tld?: string;
  readonly zones?: readonly LabZone[];
}

export interface DnsAnswer {
  /** "NOERROR", "SERVFAIL", "NXDOMAIN", ... */
  readonly status: string;
  /** Header flags: "qr", "aa", "rd", "ra", "ad", ... */
  readonly flags: readonly string[];
  /** Answer-section records, one per line as kdig prints them. */
  readonly answer: readonly string[];
}

export interface LabDns {
  readonly address: AddressPair;
  readonly tld: string;
  /** The name server every zone names: `ns.<tld>.`. */
  readonly nameServer: string;
  /** Every zone served, absolute, root first. */
  readonly zones: readonly string[];
  /** The root's trust anchor (the DS of its KSK), in the form of dns-root-data's root.key. */
  readonly rootTrustAnchor: string;
  /** Root hints naming the lab's root server, in the form of dns-root-data's root.hints. */
  readonly rootHints: string;
  /** Replaces the records of `type` at `owner` (relative to the zone, or absolute) with `rdata`; knot signs them on commit. */
  setRecords(zone: string, owner: string, type: string, rdata: readonly string[], ttl?: number): Promise<void>;
  /** Asks the lab's server itself (no recursion), from its own namespace. */
  query(name: string, type: string): Promise<DnsAnswer>;
  /** The server's recent log lines, for error messages. */
  log(): string;
  stop(): Promise<void>;
}

const TTL = 60;
const START_TIMEOUT_MS = 15_000;
const requiredPrograms = ["knotd", "knotc", "keymgr", "kdig"] as const;

/** Starts knot with the signed root, TLD and zones, and publishes every DS in its parent. */
export async function startLabDns(options: LabDnsOptions): Promise<LabDns> {
  const programs = Object.fromEntries(requiredPrograms.map((p) => [p, findProgram(p)])) as Record<(typeof requiredPrograms)[number], string | undefined>;
  const missing = requiredPrograms.filter((p) => !programs[p]);
  if (missing.length > 0) throw new Error(`the lab DNS needs ${missing.join(", ")}: apt-get install -y --no-install-recommends knot knot-dnsutils`);
  const knotc = programs.knotc!;
  const keymgr = programs.keymgr!;
  const kdig = programs.kdig!;

  const tld = absolute(options.tld ?? "dnslab");
  const nameServer = `ns.${tld}`;
  const device = options.device ?? "eth0";
  const zones = planZones(tld, options.zones ?? []);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-dns-"));
  fs.mkdirSync(path.join(dir, "db"));
  const socket = path.join(dir, "knot.sock");
  const conf = path.join(dir, "knot.conf");
  for (const zone of zones) fs.writeFileSync(path.join(dir, zone.file), zoneFile(zone, zones, nameServer, options.address));
  fs.writeFileSync(
    conf,
    renderKnotConf({ dir, listen: [`${options.address.v4}@53`, `${options.address.v6}@53`], controlSocket: socket, hideIdentity: true, zones: zones.map((z) => ({ domain: z.name, file: z.file, signed: true })) }),
    { mode: 0o600 },
  );

  const v4 = `${options.address.v4}/${options.prefixLength.v4}`;
  const v6 = `${options.address.v6}/${options.prefixLength.v6}`;
  const added: string[] = [];
  const removeAddresses = async () => {
    for (const cidr of added.splice(0)) await run("ip", ["-n", options.netns, "address", "del", cidr, "dev", device]);
  };
  let daemon: Daemon | undefined;
  try {
    await runChecked("ip", ["-n", options.netns, "address", "add", v4, "dev", device]);
    added.push(v4);
    // nodad: knot binds at once, and nothing else on the lab link has this address.
    await runChecked("ip", ["-n", options.netns, "address", "add", v6, "dev", device, "nodad"]);
    added.push(v6);
    daemon = startDaemon("knotd (lab DNS)", dir, "ip", ["netns", "exec", options.netns, programs.knotd!, "-c", conf]);
    const control = (...args: string[]) => runChecked(knotc, ["-s", socket, ...args], { timeoutMs: 10_000 });
    const dig = async (name: string, type: string): Promise<DnsAnswer> => {
      const result = await runChecked("ip", ["netns", "exec", options.netns, kdig, `@${options.address.v4}`, "+dnssec", "+norecurse", "+timeout=2", "+retry=1", name, type], { timeoutMs: 10_000 });
      return parseKdig(result.stdout);
    };

    // Every zone loaded and signed (knot makes the keys on first load).
    await waitUntilReady(
      daemon,
      async () => {
        const status = await run(knotc, ["-s", socket, "zone-status"], { timeoutMs: 5_000 });
        return status.code === 0 && zones.every((z) => new RegExp(`^\\[${escapeRegExp(z.name)}\\] .*serial: \\d+`, "m").test(status.stdout));
      },
      START_TIMEOUT_MS,
    );

    const dsOf = async (zone: string): Promise<string[]> => {
      const out = await runChecked(keymgr, ["-c", conf, zone, "ds"], { timeoutMs: 10_000 });
      // SHA-256 digests only (digest type 2), the one every validator implements.
      const ds = out.stdout.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f[1] === "DS" && f[4] === "2").map((f) => f.slice(2).join(" "));
      if (ds.length === 0) throw new Error(`keymgr printed no SHA-256 DS for ${zone}:\n${out.stdout}${out.stderr}`);
      return ds;
    };

    // Each zone's DS in its parent; one transaction per parent.
    for (const parent of zones) {
      const children = zones.filter((z) => z.parent === parent.name);
      if (children.length === 0) continue;
      await control("zone-begin", parent.name);
      try {
        for (const child of children) {
          for (const ds of await dsOf(child.name)) await control("zone-set", parent.name, child.name, String(TTL), "DS", ...(child.chain === "bogus-ds" ? spoilDigest(ds) : ds).split(" "));
        }
        await control("zone-commit", parent.name);
      } catch (error) {
        await run(knotc, ["-s", socket, "zone-abort", parent.name]);
        throw error;
      }
    }
    for (const zone of zones.filter((z) => z.parent !== undefined)) {
      const answer = await dig(zone.name, "DS");
      if (answer.status !== "NOERROR" || !answer.answer.some((l) => /\sRRSIG\s+DS\s/.test(l))) {
        throw new Error(`the lab DNS does not serve a signed DS for ${zone.name}: ${answer.status} ${answer.answer.join(" | ")}`);
      }
    }

    const rootTrustAnchor = [
      "; The lab root's key-signing key, as a DS: the only key a lab host trusts (replaces dns-root-data's root.key).",
      ...(await dsOf(".")).map((ds) => `. IN DS ${ds}`),
      "",
    ].join("\n");
    const rootHints = [
      "; The lab root server (replaces dns-root-data's root.hints on a lab host).",
      `.                      3600000 NS   ${nameServer}`,
      `${nameServer.padEnd(22)} 3600000 A    ${options.address.v4}`,
      `${nameServer.padEnd(22)} 3600000 AAAA ${options.address.v6}`,
      "",
    ].join("\n");

    const running = daemon;
    return {
      address: options.address,
      tld: tld.slice(0, -1),
      nameServer,
      zones: zones.map((z) => z.name),
      rootTrustAnchor,
      rootHints,
      setRecords: async (zone, owner, type, rdata, ttl = TTL) => {
        const z = absolute(zone);
        await control("zone-begin", z);
        try {
          // Nothing to unset is fine: knotc then reports "no such record".
          await run(knotc, ["-s", socket, "zone-unset", z, owner, type]);
          for (const r of rdata) await control("zone-set", z, owner, String(ttl), type, ...r.split(/\s+/));
          await control("zone-commit", z);
        } catch (error) {
          await run(knotc, ["-s", socket, "zone-abort", z]);
          throw error;
        }
      },
      query: dig,
      log: () => running.output(),
      stop: async () => {
        await running.stop();
        await removeAddresses();
      },
    };
  } catch (error) {
    const log = daemon?.output() ?? "";
    if (daemon) await daemon.stop();
    else fs.rmSync(dir, { recursive: true, force: true });
    await removeAddresses();
    throw new Error(`starting the lab DNS failed: ${error instanceof Error ? error.message : String(error)}${log ? `\nknotd said:\n${log.split("\n").slice(-15).join("\n")}` : ""}`);
  }
}

interface PlannedZone {
  /** Absolute: "." or "secure.dnslab.". */
  readonly name: string;
  readonly file: string;
  readonly parent?: string;
  readonly records: readonly string[];
  readonly chain: "secure" | "bogus-ds";
}

/** The root, the TLD and the caller's zones, each with the closest enclosing zone as its parent. */
export function planZones(tld: string, requested: readonly LabZone[]): PlannedZone[] {
  const names = [".", tld, ...requested.map((z) => absolute(z.name))];
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`lab zone ${duplicate} is listed twice`);
  for (const zone of requested) {
    const name = absolute(zone.name);
    if (!name.endsWith(`.${tld}`)) throw new Error(`lab zone ${name} is not below the lab TLD ${tld}`);
    if (!/^([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+$/i.test(name)) throw new Error(`lab zone ${name} is not a domain name`);
  }
  return names.map((name, index) => {
    const spec = requested.find((z) => absolute(z.name) === name);
    return {
      name,
      file: `zone-${index}.zone`,
      parent: name === "." ? undefined : closestEnclosing(name, names),
      records: spec?.records ?? [],
      chain: spec?.chain ?? "secure",
    };
  });
}

function closestEnclosing(name: string, names: readonly string[]): string {
  const candidates = names.filter((n) => n !== name && (n === "." || name.endsWith(`.${n}`)));
  return candidates.sort((a, b) => b.length - a.length)[0]!;
}

function zoneFile(zone: PlannedZone, all: readonly PlannedZone[], nameServer: string, address: AddressPair): string {
  const tld = all[1]!.name;
  const lines = [
    `$ORIGIN ${zone.name}`,
    `$TTL ${TTL}`,
    `@ SOA ${nameServer} hostmaster.${tld} 1 3600 600 86400 ${TTL}`,
    `@ NS ${nameServer}`,
  ];
  // The server's own address: authoritative in the TLD, glue in the root.
  if (zone.name === tld || zone.name === ".") lines.push(`${nameServer} A ${address.v4}`, `${nameServer} AAAA ${address.v6}`);
  for (const child of all.filter((z) => z.parent === zone.name)) lines.push(`${child.name} NS ${nameServer}`);
  lines.push(...zone.records, "");
  return lines.join("\n");
}

/** Same key tag, algorithm and digest type, another digest: points at a key the zone does not have. */
export function spoilDigest(ds: string): string {
  const [tag, algorithm, digestType, digest] = ds.split(" ");
  const other = createHash("sha256").update(`not the key of this zone: ${digest}`).digest("hex");
  return [tag, algorithm, digestType, other].join(" ");
}

/** kdig's text output: the status, the header flags and the answer section. */
export function parseKdig(text: string): DnsAnswer {
  const status = /status: ([A-Z]+)/.exec(text)?.[1] ?? "NO ANSWER";
  const flags = /^;; Flags: ([^;]*);/m.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(";; ANSWER SECTION:"));
  const answer: string[] = [];
  for (const line of start < 0 ? [] : lines.slice(start + 1)) {
    if (line.trim() === "" || line.startsWith(";;")) break;
    answer.push(line.trim());
  }
  return { status, flags, answer };
}

function absolute(name: string): string {
  if (name === "." || name === "") return ".";
  return name.endsWith(".") ? name.toLowerCase() : `${name.toLowerCase()}.`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
