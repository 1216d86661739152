/**
 * Knot DNS on 127.0.0.1 serving a small tree of zones written here, for the CAA and DNSSEC tests:
 * each zone holds the records given, is signed by knot itself when asked (`dnssec-signing: on`,
 * ECDSA P-256, KSK and ZSK, no rollovers), and is delegated from its parent with the DS of
 * its KSK, with no DS, or with a DS whose digest matches no key ("bogus"). The root's KSK DS is
 * written as a trust anchor file in the form delv reads.
 */

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startDaemon, waitUntilReady, type Daemon } from "../../../tools/lab/acme/daemon";
import { findProgram } from "../../../tools/lab/acme/packages";
import { renderKnotConf } from "../../../tools/lab/dns/knotConf";
import { freeLoopbackPort } from "../../../tools/lab/acme/ports";

export interface ZoneSpec {
  /** Absolute, with the trailing dot: ".", "test.", "tenant.test.". */
  readonly name: string;
  /** Zone-file lines (owner relative to the zone or absolute), e.g. `@ 3600 CAA 0 issue "letsencrypt.org"`. */
  readonly records?: readonly string[];
  readonly signed?: boolean;
  /** What the parent publishes for it (ignored for the root): default "real" when signed. */
  readonly parentDs?: "real" | "none" | "bogus";
}

export interface KnotZones {
  readonly port: number;
  /** "127.0.0.1:<port>". */
  readonly address: string;
  /** A delv/named trust-anchors file with the root's KSK DS (when the root is signed). */
  readonly trustAnchorFile: string;
  /** kdig against this server; `args` after the name and type. */
  kdig(name: string, type: string, ...args: string[]): string;
  stop(): Promise<void>;
}

const startTimeoutMs = 20_000;

function parentOf(zone: string): string | undefined {
  if (zone === ".") return undefined;
  const rest = zone.slice(zone.indexOf(".") + 1);
  return rest === "" ? "." : rest;
}

function zoneFile(spec: ZoneSpec, children: readonly ZoneSpec[]): string {
  const lines = [`$ORIGIN ${spec.name}`, "$TTL 300", "@ SOA ns1.lab. hostmaster.lab. 1 3600 600 86400 60", "@ NS ns1.lab."];
  for (const child of children) lines.push(`${child.name} NS ns1.lab.`);
  lines.push(...(spec.records ?? []), "");
  return lines.join("\n");
}

export async function startKnotZones(specs: readonly ZoneSpec[]): Promise<KnotZones> {
  const knotd = findProgram("knotd");
  if (!knotd) throw new Error("knotd is not installed (Debian: knot)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "knot-zones-"));
  let daemon: Daemon | undefined;
  try {
    const port = await freeLoopbackPort(true);
    const conf = path.join(dir, "knot.conf");
    fs.mkdirSync(path.join(dir, "db"));
    const fileName = (zone: string) => (zone === "." ? "root.zone" : `${zone}zone`);
    for (const spec of specs) fs.writeFileSync(path.join(dir, fileName(spec.name)), zoneFile(spec, specs.filter((c) => parentOf(c.name) === spec.name)));
    const zones = specs.map((s) => ({ domain: s.name, file: fileName(s.name), signed: s.signed }));
    fs.writeFileSync(conf, renderKnotConf({ dir, listen: [`127.0.0.1@${port}`], controlSocket: path.join(dir, "knot.sock"), zones }), { mode: 0o600 });
    daemon = startDaemon("knotd", dir, knotd, ["-c", conf]);
    const address = `127.0.0.1:${port}`;
    const kdig = (name: string, type: string, ...args: string[]) =>
      execFileSync("kdig", [`@127.0.0.1`, "-p", String(port), "+time=2", "+retry=0", ...args, name, type], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const signedSpecs = specs.filter((s) => s.signed);
    await waitUntilReady(daemon, async () => specs.every((s) => / status: NOERROR/.test(kdig(s.name, "SOA"))) && signedSpecs.every((s) => /\tRRSIG\t/.test(kdig(s.name, "DNSKEY", "+dnssec"))), startTimeoutMs);

    const knotc = (...args: string[]) => execFileSync("knotc", ["-c", conf, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const dsOf = (zone: string): string[] =>
      execFileSync("keymgr", ["-c", conf, zone, "ds"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[1] === "DS" && f[4] === "2")
        .map((f) => f.slice(2).join(" "));
    for (const child of specs) {
      const parent = parentOf(child.name);
      const mode = child.parentDs ?? (child.signed ? "real" : "none");
      if (parent === undefined || mode === "none") continue;
      const records = dsOf(child.name).map((ds) => (mode === "bogus" ? ds.replace(/[0-9A-F]{64}$/i, "0".repeat(64)) : ds));
      knotc("zone-begin", parent);
      for (const ds of records) knotc("zone-set", parent, child.name, "300", "DS", ...ds.split(" "));
      knotc("zone-commit", parent);
      await waitUntilReady(daemon, async () => /\tDS\t/.test(kdig(child.name, "DS", "+dnssec")), startTimeoutMs);
    }

    const trustAnchorFile = path.join(dir, "trust-anchors.conf");
    const root = specs.find((s) => s.name === ".");
    const anchors = root?.signed ? dsOf(".").map((ds) => {
      const [tag, algorithm, digestType, digest] = ds.split(" ");
      return `  . static-ds ${tag} ${algorithm} ${digestType} "${digest}";`;
    }) : [];
    fs.writeFileSync(trustAnchorFile, `trust-anchors {\n${anchors.join("\n")}\n};\n`);
    const running = daemon;
    return { port, address, trustAnchorFile, kdig, stop: () => running.stop() };
  } catch (error) {
    if (daemon) await daemon.stop();
    else fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
