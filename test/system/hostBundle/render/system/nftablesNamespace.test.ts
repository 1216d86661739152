/**
 * The rendered ruleset loaded for real in a "host" network namespace and probed from a "client"
 * namespace: which connections succeed is the behaviour the baseline promises.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCidr } from "../../../../../baseline/cidr";
import { allowedOutboundPorts, icmpEchoRequestsPerSecond, publicInboundPorts, sshPort } from "../../../../../baseline/network";
import { nftablesTableName, renderNftablesRuleset, sshSourceSetNames } from "../../../../../hostBundle/render/system/nftablesRuleset";
import {
  addNamespace,
  deleteNamespace,
  inNamespace,
  makeTempDir,
  removeStaleNamespaces,
  removeTempDir,
  runOk,
  startUntilReady,
  stopProcess,
  uniqueNamespaceName,
} from "./hostCommands";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { freeTestAddressRanges } from "./testAddressRanges";

const closedPort = 8080;

function networkForm(cidr: string): string {
  const parsed = parseCidr(cidr);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.cidr.network;
}
const ranges = freeTestAddressRanges();
const v4 = (host: number) => `${ranges.ipv4Prefix}.${host}`;
const v6 = (suffix: string) => `${ranges.ipv6Prefix}::${suffix}`;
const addresses = {
  host4: v4(1),
  admin4: v4(10),
  deploy4: v4(70),
  outsider4: v4(20),
  host6: v6("1"),
  admin6: v6("10"),
  deploy6: v6("1:10"),
  outsider6: v6("20"),
};
const ctx = systemTestContext({
  adminCidrs: [`${addresses.admin4}/32`, `${addresses.admin6}/128`],
  // 64/26 holds .70 but not .10 or .20; the /112 holds ::1:10 only.
  deployCidrs: [`${v4(64)}/26`, `${v6("1:0")}/112`],
});
const ruleset = renderNftablesRuleset(ctx);

/** Serves a line on every TCP port (both families) and echoes on every UDP port; prints "ready". */
const listenerScript = `
const net = require("node:net"), dgram = require("node:dgram");
const { tcp, udp, udpAddresses } = JSON.parse(process.argv[1]);
let pending = tcp.length + udp.length * udpAddresses.length;
const ready = () => { if (--pending === 0) console.log("ready"); };
for (const port of tcp) net.createServer((s) => s.end("hello\\n")).listen({ port, host: "::", ipv6Only: false }, ready);
// Bound per address, so a reply leaves from the address the request went to (as DNS servers do).
for (const port of udp) for (const address of udpAddresses) {
  const socket = dgram.createSocket(address.includes(":") ? "udp6" : "udp4");
  socket.on("message", (m, from) => socket.send(m, from.port, from.address));
  socket.bind(port, address, ready);
}`;

/** Tries each {from, to, protocol, port} in parallel; prints the results as JSON. */
const probeScript = `
const net = require("node:net"), dgram = require("node:dgram");
const probe = (p) => new Promise((resolve) => {
  const done = (open, why) => resolve({ ...p, open, why });
  if (p.protocol === "udp") {
    const socket = dgram.createSocket(p.to.includes(":") ? "udp6" : "udp4");
    const timer = setTimeout(() => { socket.close(); done(false, "timeout"); }, 1500);
    socket.on("message", () => { clearTimeout(timer); socket.close(); done(true, "reply"); });
    socket.on("error", (e) => { clearTimeout(timer); socket.close(); done(false, e.code); });
    socket.bind({ address: p.from }, () => socket.send("ping", p.port, p.to));
    return;
  }
  let data = "";
  const s = net.connect({ host: p.to, port: p.port, localAddress: p.from, timeout: 1500 });
  s.on("data", (d) => (data += d));
  s.on("end", () => done(data === "hello\\n", "closed"));
  s.on("timeout", () => { s.destroy(); done(false, "timeout"); });
  s.on("error", (e) => done(false, e.code));
});
Promise.all(JSON.parse(process.argv[1]).map(probe)).then((r) => console.log(JSON.stringify(r)));`;

interface Probe {
  readonly from: string;
  readonly to: string;
  readonly protocol: "tcp" | "udp";
  readonly port: number;
}
interface ProbeResult extends Probe {
  readonly open: boolean;
  readonly why: string;
}

const hostNs = uniqueNamespaceName("host");
const clientNs = uniqueNamespaceName("client");
const dir = makeTempDir("pm-nft-ns");
const rulesetFile = join(dir, "nftables.conf");
const listeners: ChildProcess[] = [];

/** Connects from inside the namespace, as root or (setpriv) as another account. */
function probe(ns: string, probes: readonly Probe[], account?: string): ProbeResult[] {
  const command = [process.execPath, "-e", probeScript, JSON.stringify(probes)];
  const result = account
    ? inNamespace(ns, "setpriv", [`--reuid=${account}`, `--regid=${account}`, "--clear-groups", ...command])
    : inNamespace(ns, command[0]!, command.slice(1));
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as ProbeResult[];
}

/** "from->to:port" of the probes that connected. */
function openOnes(results: readonly ProbeResult[]): string[] {
  return results.filter((r) => r.open).map((r) => `${r.from}->${r.protocol}/${r.port}`).sort();
}

const inboundTcpPorts = [...publicInboundPorts.map((r) => r.port), sshPort.port, closedPort];
const inboundProbes: Probe[] = [
  [addresses.admin4, addresses.host4],
  [addresses.deploy4, addresses.host4],
  [addresses.outsider4, addresses.host4],
  [addresses.admin6, addresses.host6],
  [addresses.deploy6, addresses.host6],
  [addresses.outsider6, addresses.host6],
].flatMap(([from = "", to = ""]) => inboundTcpPorts.map((port) => ({ from, to, protocol: "tcp" as const, port })));

function nftJson(): { nftables: Record<string, { family?: string; name?: string; table?: string; elem?: unknown[]; policy?: string; hook?: string }>[] } {
  return JSON.parse(runOk("ip", ["netns", "exec", hostNs, "nft", "-j", "list", "ruleset"]).stdout);
}

beforeAll(async () => {
  removeStaleNamespaces();
  writeFileSync(rulesetFile, ruleset);
  addNamespace(hostNs);
  addNamespace(clientNs);
  // The veth pair is created inside the namespaces: the machine's own namespace never sees it.
  runOk("ip", ["-n", hostNs, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", clientNs]);
  runOk("ip", ["-n", hostNs, "addr", "add", `${addresses.host4}/24`, "dev", "eth0"]);
  runOk("ip", ["-n", hostNs, "addr", "add", `${addresses.host6}/64`, "dev", "eth0", "nodad"]);
  for (const a of [addresses.admin4, addresses.deploy4, addresses.outsider4]) runOk("ip", ["-n", clientNs, "addr", "add", `${a}/24`, "dev", "eth0"]);
  for (const a of [addresses.admin6, addresses.deploy6, addresses.outsider6]) runOk("ip", ["-n", clientNs, "addr", "add", `${a}/64`, "dev", "eth0", "nodad"]);
  runOk("ip", ["-n", hostNs, "link", "set", "eth0", "up"]);
  runOk("ip", ["-n", clientNs, "link", "set", "eth0", "up"]);
  const hostPorts = { tcp: inboundTcpPorts, udp: [], udpAddresses: [] };
  listeners.push(await startUntilReady("ip", ["netns", "exec", hostNs, process.execPath, "-e", listenerScript, JSON.stringify(hostPorts)], "ready"));
  const clientPorts = { tcp: [...allowedOutboundPorts.filter((r) => r.protocol === "tcp").map((r) => r.port), sshPort.port, closedPort], udp: [53, 123, 5353], udpAddresses: [addresses.admin4, addresses.admin6] };
  listeners.push(await startUntilReady("ip", ["netns", "exec", clientNs, process.execPath, "-e", listenerScript, JSON.stringify(clientPorts)], "ready"));
}, 30_000);

afterAll(async () => {
  for (const child of listeners) await stopProcess(child);
  deleteNamespace(hostNs);
  deleteNamespace(clientNs);
  removeTempDir(dir);
});

describe("the rendered nftables ruleset in a network namespace", () => {
  it("without the ruleset every listener is reachable from every client address (the probes can succeed)", () => {
    const results = probe(clientNs, inboundProbes);
    expect(results.filter((r) => !r.open)).toEqual([]);
  });

  it("loads with nft -f and lists exactly our table, its SSH sets and drop policies", () => {
    const load = runOk("ip", ["netns", "exec", hostNs, "nft", "-f", rulesetFile]);
    console.info(`nft -f in a namespace: ${load.ms.toFixed(0)} ms`);
    const items = nftJson().nftables;
    const tables = items.flatMap((i) => (i.table ? [`${i.table.family} ${i.table.name}`] : []));
    expect(tables).toEqual([`inet ${nftablesTableName}`]);
    const sets = Object.fromEntries(items.flatMap((i) => (i.set ? [[i.set.name, i.set.elem ?? []]] : [])));
    // nft lists a host block as a bare address and a network as {prefix}: compare in network form.
    const networks = (elems: readonly unknown[], hostBits: number) =>
      elems.map((e) => {
        const prefix = (e as { prefix?: { addr: string; len: number } }).prefix;
        return networkForm(prefix ? `${prefix.addr}/${prefix.len}` : `${String(e)}/${hostBits}`);
      }).sort();
    expect(networks(sets[sshSourceSetNames.ipv4] ?? [], 32)).toEqual([`${addresses.admin4}/32`, `${v4(64)}/26`].map(networkForm).sort());
    expect(networks(sets[sshSourceSetNames.ipv6] ?? [], 128)).toEqual([`${addresses.admin6}/128`, `${v6("1:0")}/112`].map(networkForm).sort());
    const chains = Object.fromEntries(items.flatMap((i) => (i.chain ? [[i.chain.name, i.chain.policy]] : [])));
    expect(chains).toEqual({ input: "drop", forward: "drop", output: "drop" });
  });

  it("opens the public ports to every client, SSH only to admin and deploy addresses, and 8080 to nobody (IPv4 and IPv6)", () => {
    const results = probe(clientNs, inboundProbes);
    const expected = inboundProbes
      .filter((p) => publicInboundPorts.some((r) => r.port === p.port) || (p.port === sshPort.port && ![addresses.outsider4, addresses.outsider6].includes(p.from)))
      .map((p) => `${p.from}->${p.protocol}/${p.port}`)
      .sort();
    expect(openOnes(results)).toEqual(expected);
    // Dropped, not refused: a scanner learns nothing about closed ports.
    expect(results.filter((r) => !r.open).every((r) => r.why === "timeout")).toBe(true);
  });

  it("lets the host reach only the baseline's outbound ports", () => {
    const tcpPorts = [...allowedOutboundPorts.filter((r) => r.protocol === "tcp").map((r) => r.port), sshPort.port, closedPort];
    const probes: Probe[] = [
      ...tcpPorts.map((port) => ({ from: addresses.host4, to: addresses.admin4, protocol: "tcp" as const, port })),
      ...tcpPorts.map((port) => ({ from: addresses.host6, to: addresses.admin6, protocol: "tcp" as const, port })),
      ...[53, 123, 5353].map((port) => ({ from: addresses.host4, to: addresses.admin4, protocol: "udp" as const, port })),
      ...[53, 123, 5353].map((port) => ({ from: addresses.host6, to: addresses.admin6, protocol: "udp" as const, port })),
    ];
    const allowed = (p: Probe, account?: string) =>
      allowedOutboundPorts.some((r) => r.protocol === p.protocol && r.port === p.port && (r.onlyAccount === undefined || r.onlyAccount === account));
    expect(openOnes(probe(hostNs, probes))).toEqual(probes.filter((p) => allowed(p)).map((p) => `${p.from}->${p.protocol}/${p.port}`).sort());
    // Delivery is Postfix's alone: root (above) cannot reach port 25, Postfix's account can.
    expect(openOnes(probe(hostNs, probes, "postfix"))).toEqual(probes.filter((p) => allowed(p, "postfix")).map((p) => `${p.from}->${p.protocol}/${p.port}`).sort());
    expect(allowedOutboundPorts.find((r) => r.port === 25)?.onlyAccount).toBe("postfix");
  });

  it("answers pings within the rate limit, over IPv4 and IPv6 (neighbour discovery passes both chains)", () => {
    for (const [from, to] of [[addresses.outsider4, addresses.host4], [addresses.outsider6, addresses.host6]] as const) {
      const ping = inNamespace(clientNs, "ping", ["-c", "1", "-W", "2", "-I", from, to]);
      expect(ping.status, ping.stdout + ping.stderr).toBe(0);
    }
    const flood = inNamespace(clientNs, "ping", ["-q", "-c", "100", "-i", "0.01", "-W", "1", "-I", addresses.outsider4, addresses.host4]);
    const received = Number(/(\d+) received/.exec(flood.stdout)?.[1]);
    const floodSeconds = Number(/time (\d+)ms/.exec(flood.stdout)?.[1]) / 1000;
    console.info(`ping flood of 100 echo requests in ${floodSeconds} s: ${received} answered`);
    expect(received).toBeGreaterThan(0);
    // nftables' limit lets a burst of as many as the rate through, then the rate itself; a slow
    // machine that takes longer to send the flood earns more answers, never all of them.
    const allowed = icmpEchoRequestsPerSecond * (1 + Math.ceil(floodSeconds)) + 1;
    expect(received).toBeLessThanOrEqual(Math.min(allowed, 99));
  });

  it("reloading replaces our table in place and leaves fail2ban's table and its bans alone", () => {
    const f2b = [
      "table inet f2b-table {",
      `  set addr-set-postfix { type ipv4_addr; elements = { ${addresses.outsider4} } }`,
      "  chain f2b-chain { type filter hook input priority -1; tcp dport 25 ip saddr @addr-set-postfix reject; }",
      "}",
    ].join("\n");
    runOk("ip", ["netns", "exec", hostNs, "nft", "-f", "-"], { input: f2b });
    const ruleCount = () => nftJson().nftables.filter((i) => i.rule?.table === nftablesTableName).length;
    const before = ruleCount();
    runOk("ip", ["netns", "exec", hostNs, "nft", "-f", rulesetFile]);
    runOk("ip", ["netns", "exec", hostNs, "nft", "-f", rulesetFile]);
    const items = nftJson().nftables;
    expect(items.flatMap((i) => (i.table ? [i.table.name] : [])).sort()).toEqual(["f2b-table", nftablesTableName].sort());
    expect(ruleCount()).toBe(before);
    const banSet = items.find((i) => i.set?.name === "addr-set-postfix")?.set;
    expect(banSet?.elem).toEqual([addresses.outsider4]);
    const [smtp] = probe(clientNs, [{ from: addresses.outsider4, to: addresses.host4, protocol: "tcp", port: 25 }]);
    expect(smtp).toMatchObject({ open: false, why: "ECONNREFUSED" });
  });
});
