// The lab DNS (knot: a signed root, TLD and zones, one of them bogus) under the bundle's own
// unbound.conf in a scratch network namespace: what a lab host will see, without booting one.
// The pure parts are in test/unit/lab/labDns.test.ts; the booted host in
// test/system/hostBundle/apply/applyOnDebian.test.ts.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderUnboundConf, unboundRootHintsFile, unboundRootTrustAnchorFile } from "../../../hostBundle/render/mail/unboundConf";
import { startDaemon, waitUntilReady, type Daemon } from "../../../tools/lab/acme/daemon";
import { parseKdig, startLabDns, type DnsAnswer, type LabDns } from "../../../tools/lab/dns";
import { run, runChecked } from "../../../tools/lab/net/run";
import { mailTestContext } from "../../support/hostBundle/render/mail/mailRenderFixture";

const netns = `pmdns-${randomBytes(3).toString("hex")}`;
// A private namespace: the addresses collide with nothing on this machine.
const server = { v4: "198.18.0.53", v6: "fd42:1ab:ffff::53" };
let dns: LabDns | undefined;
let unbound: Daemon | undefined;
let dir: string;

/** Asks the namespace's unbound (127.0.0.1, as the bundle configures it) with DNSSEC. */
async function resolve(name: string, type: string, ...flags: string[]): Promise<DnsAnswer> {
  const result = await run("ip", ["netns", "exec", netns, "kdig", "@127.0.0.1", "+dnssec", "+timeout=5", "+retry=0", ...flags, name, type], { timeoutMs: 15_000 });
  return parseKdig(result.stdout);
}

beforeAll(async () => {
  await runChecked("ip", ["netns", "add", netns]);
  await runChecked("ip", ["-n", netns, "link", "set", "lo", "up"]);
  // A veth pair inside the namespace (no dummy module here): eth0 carries knot's addresses.
  await runChecked("ip", ["-n", netns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"]);
  for (const link of ["eth0", "eth1"]) await runChecked("ip", ["-n", netns, "link", "set", link, "up"]);
  dns = await startLabDns({
    netns,
    address: server,
    prefixLength: { v4: 24, v6: 64 },
    zones: [
      { name: "secure.dnslab", records: ["@ MX 10 mx", "mx A 198.18.0.25", "badtlsa MX 10 mx.badtlsa", "mx.badtlsa A 198.18.0.26"] },
      { name: "bogus.dnslab", records: ["@ MX 10 mx", "mx A 198.18.0.27"], chain: "bogus-ds" },
      // Only the TLSA records of mx.badtlsa.secure.dnslab are bogus: its address is secure.
      { name: "_tcp.mx.badtlsa.secure.dnslab", records: ["_25 TLSA 3 1 1 0000000000000000000000000000000000000000000000000000000000000000"], chain: "bogus-ds" },
    ],
  });

  // The bundle's unbound.conf, with the lab's anchor and hints in a scratch directory and the
  // privileges a test process can run it with.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-lab-dns-unbound-"));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, "root.key"), dns.rootTrustAnchor);
  fs.writeFileSync(path.join(dir, "root.hints"), dns.rootHints);
  const conf = renderUnboundConf(mailTestContext())
    .replace(unboundRootTrustAnchorFile, path.join(dir, "root.key"))
    .replace(unboundRootHintsFile, path.join(dir, "root.hints"))
    .replace("control-enable: yes", "control-enable: no")
    .replace(/^server:$/m, `server:\n    username: ""\n    chroot: ""\n    directory: "${dir}"\n    pidfile: "${dir}/unbound.pid"\n    use-syslog: no\n    logfile: ""`);
  fs.writeFileSync(path.join(dir, "unbound.conf"), conf);
  unbound = startDaemon("unbound", fs.mkdtempSync(path.join(os.tmpdir(), "pm-lab-dns-run-")), "ip", ["netns", "exec", netns, "unbound", "-d", "-c", path.join(dir, "unbound.conf")]);
  await waitUntilReady(unbound, async () => (await resolve(".", "SOA")).flags.includes("ad"), 15_000);
}, 60_000);

afterAll(async () => {
  await unbound?.stop();
  await dns?.stop();
  await run("ip", ["netns", "delete", netns]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the lab DNS under the bundle's validating unbound", () => {
  it("hands out a root trust anchor (a DS) and root hints naming its own server", () => {
    expect(dns!.rootTrustAnchor).toMatch(/^\. IN DS \d+ 13 2 [0-9a-f]{64}$/m);
    expect(dns!.rootHints).toMatch(/^\.\s+3600000\s+NS\s+ns\.dnslab\.$/m);
    expect(dns!.rootHints).toMatch(new RegExp(`^ns\\.dnslab\\.\\s+3600000\\s+A\\s+${server.v4.replace(/\./g, "\\.")}$`, "m"));
    expect(dns!.zones).toEqual([".", "dnslab.", "secure.dnslab.", "bogus.dnslab.", "_tcp.mx.badtlsa.secure.dnslab."]);
  });

  it("validates the root, the TLD and the secure zone: AD on every answer", async () => {
    for (const [name, type] of [[".", "SOA"], ["dnslab.", "SOA"], ["secure.dnslab.", "MX"], ["mx.secure.dnslab.", "A"], ["mx.badtlsa.secure.dnslab.", "A"]] as const) {
      const answer = await resolve(name, type);
      expect(answer.status, `${name} ${type}`).toBe("NOERROR");
      expect(answer.flags, `${name} ${type}`).toContain("ad");
    }
  });

  it("answers SERVFAIL for the bogus zone and the bogus TLSA, which are there when validation is off (+cd)", async () => {
    for (const [name, type] of [["mx.bogus.dnslab.", "A"], ["bogus.dnslab.", "MX"], ["_25._tcp.mx.badtlsa.secure.dnslab.", "TLSA"]] as const) {
      expect((await resolve(name, type)).status, `${name} ${type}`).toBe("SERVFAIL");
      const unchecked = await resolve(name, type, "+cd");
      expect(unchecked.status, `${name} ${type} +cd`).toBe("NOERROR");
      expect(unchecked.answer.some((l) => l.includes(`\t${type}\t`)), `${name} ${type} +cd`).toBe(true);
    }
  });

  it("publishes records added later, signed", async () => {
    await dns!.setRecords("secure.dnslab", "_25._tcp.mx", "TLSA", ["3 1 1 1111111111111111111111111111111111111111111111111111111111111111"]);
    const answer = await resolve("_25._tcp.mx.secure.dnslab.", "TLSA");
    expect(answer.status).toBe("NOERROR");
    expect(answer.flags).toContain("ad");
    expect(answer.answer.join("\n")).toMatch(/TLSA\s+3 1 1 1{64}/i);
  });
});
