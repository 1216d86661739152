/**
 * rspamd as the host runs it, from the staged files, inside a network and mount namespace of its
 * own: /etc/rspamd, /var/lib/rspamd, /var/log/rspamd and /var/spool/postfix are the test copies
 * (bind mounts), and 127.0.0.1:53, the resolver options.inc names, is a Knot DNS server serving
 * the test's zone. So the rendered files run unchanged, rspamd can reach nothing but that DNS
 * server and Postfix's milter socket, and the namespaces go away with the two daemons.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { splitTxtValue } from "../../../../../baseline/dns/txt";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderKnotConf } from "../../../../../tools/lab/dns/knotConf";
import type { Zone } from "../../../../support/baseline/dns/memoryResolver";
import { runCommand, shellQuote, startDaemon } from "./processRunner";
import type { StagedMailConfig } from "./stagedMailConfig";

/** The zone as a master file for the root zone: every name of the test answered by one server. */
export function rootZoneFile(zone: Zone): string {
  const quoted = (value: string): string => splitTxtValue(value).map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(" ");
  const lines = ["$ORIGIN .", "$TTL 60", ". SOA ns.test. hostmaster.test. 1 3600 600 86400 60", ". NS ns.test.", "ns.test. A 127.0.0.1"];
  for (const [name, node] of Object.entries(zone)) {
    const owner = `${name.replace(/\.$/, "")}.`;
    for (const txt of node.TXT ?? []) lines.push(`${owner} TXT ${quoted(txt)}`);
    for (const mx of node.MX ?? []) lines.push(`${owner} MX ${mx.priority} ${mx.exchange.replace(/\.$/, "")}.`);
    for (const a of node.A ?? []) lines.push(`${owner} A ${a}`);
    for (const aaaa of node.AAAA ?? []) lines.push(`${owner} AAAA ${aaaa}`);
    for (const ptr of node.PTR ?? []) lines.push(`${owner} PTR ${ptr.replace(/\.$/, "")}.`);
  }
  return `${lines.join("\n")}\n`;
}

function knotConf(dir: string, listen = "127.0.0.1"): string {
  return renderKnotConf({ dir, listen: [`${listen}@53`], pidFile: `${dir}/knot.pid`, logFile: `${dir}/knot.log`, zones: [{ domain: ".", file: "root.zone" }] });
}

const knotDirectory = (staged: StagedMailConfig): string => `${staged.root}/knot`;
const postfixKnotDirectory = (staged: StagedMailConfig): string => `${staged.root}/knot-postfix`;

/** The pid file of the Knot that answers Postfix (knot.conf names it). */
export const postfixKnotPidFile = (staged: StagedMailConfig): string => `${postfixKnotDirectory(staged)}/knot.pid`;

/**
 * Knot serving `zone` to Postfix (its reverse lookups of clients, above all) from `address` in the
 * outside namespace `netns`, which the host's namespace reaches over the veth pair; forks and
 * returns once it is up.
 */
export async function startPostfixDns(staged: StagedMailConfig, zone: Zone, netns: string, address: string): Promise<void> {
  const dir = postfixKnotDirectory(staged);
  mkdirSync(`${dir}/db`, { recursive: true, mode: 0o700 });
  writeFileSync(`${dir}/root.zone`, rootZoneFile(zone));
  writeFileSync(`${dir}/knot.conf`, knotConf(dir, address));
  const result = await startDaemon("ip", ["netns", "exec", netns, "knotd", "-d", "-c", `${dir}/knot.conf`], `${dir}/knot.out`);
  if (result.code !== 0) throw new Error(`knot for Postfix did not start: ${result.output}`);
  // knotd -d forks before it binds and loads the zone: ready once it answers for the root.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answer = await runCommand("ip", ["netns", "exec", netns, "kdig", `@${address}`, "+time=1", "+retry=0", ".", "SOA"]);
    if (/status: NOERROR/.test(answer.output)) return;
    if (Date.now() > deadline) throw new Error(`knot for Postfix did not answer within 15 s: ${answer.output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Knot's pid file (knot.conf names it). */
export const knotPidFile = (staged: StagedMailConfig): string => `${knotDirectory(staged)}/knot.pid`;

/**
 * Starts Knot (serving `zone`) and rspamd in a new network and mount namespace, rspamd as
 * _rspamd like Debian's rspamd.service (User=_rspamd); resolves once rspamd has daemonized.
 * `onLaunch` gets the launcher's pid at once, so a sampler can follow the cold start.
 */
export async function startRspamdInNamespace(staged: StagedMailConfig, zone: Zone, onLaunch?: (pid: number) => void): Promise<void> {
  const { rspamd } = staged;
  const knotDir = knotDirectory(staged);
  mkdirSync(`${knotDir}/db`, { recursive: true, mode: 0o700 });
  writeFileSync(`${knotDir}/root.zone`, rootZoneFile(zone));
  writeFileSync(`${knotDir}/knot.conf`, knotConf(knotDir));
  const bind = (from: string, to: string): string => `mount --bind ${shellQuote(from)} ${shellQuote(to)}`;
  const script = [
    "set -e",
    // Only these processes see the mounts; the host's /etc/rspamd, spool and logs stay as they are.
    "ip link set lo up",
    bind(rspamd.etcDir, hostLayout.rspamdConfigDir),
    bind(rspamd.dbDir, "/var/lib/rspamd"),
    bind(rspamd.logDir, "/var/log/rspamd"),
    bind(staged.postfix.queueDir, hostLayout.postfixSpoolDir),
    `knotd -d -c ${shellQuote(`${knotDir}/knot.conf`)}`,
    // -p: the pid file in the test's run directory instead of /run/rspamd (the unit's RuntimeDirectory).
    `setpriv --reuid=_rspamd --regid=_rspamd --init-groups rspamd -c ${hostLayout.rspamdConfigDir}/rspamd.conf -p ${shellQuote(rspamd.pidFile)}`,
  ].join("\n");
  const result = await startDaemon("unshare", ["--net", "--mount", "--propagation", "private", "--", "bash", "-c", script], `${staged.root}/rspamd.out`, 120_000, onLaunch);
  if (result.code !== 0) throw new Error(`rspamd did not start: ${result.output}`);
}


export interface ProcessMemory {
  readonly pid: number;
  readonly name: string;
  readonly rssKiB: number;
  readonly pssKiB: number;
}

/** Children of `pid`, from the kernel's list (one level). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(processTree)];
}

/** RSS and PSS (shared pages divided among the processes sharing them) of the rspamd processes among `pids`. */
export function rspamdMemory(pids: readonly number[]): ProcessMemory[] {
  return pids.flatMap((pid) => {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "rspamd") return [];
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0);
      // "rspamd: main process; 1.1 msg/sec, ..." and "rspamd: rspamd_proxy process (socket)": the name only.
      const name = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+/g, " ").replace(/[;(].*$/, "").replace(/^rspamd: /, "").trim();
      return [{ pid, name, rssKiB: kib("Rss"), pssKiB: kib("Pss") }];
    } catch {
      return [];
    }
  });
}

export function mainPid(staged: StagedMailConfig): number | undefined {
  if (!existsSync(staged.rspamd.pidFile)) return undefined;
  const pid = Number(readFileSync(staged.rspamd.pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}
