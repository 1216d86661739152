// Outbound MTA-STS as the host runs it: postfix-mta-sts-resolver with the rendered settings, in a
// scratch network namespace whose resolver is the bundle's own unbound over the lab's signed DNS
// (knot), fetching policies over HTTPS from a policy host there. Postfix asks it the way
// smtp_tls_policy_maps does: postmap -q against the socketmap.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postfixMtaStsPolicyMap, renderMtaStsResolverConf } from "../../../../../hostBundle/render/mail/mtaStsResolverConf";
import { renderUnboundConf, unboundRootHintsFile, unboundRootTrustAnchorFile } from "../../../../../hostBundle/render/mail/unboundConf";
import { startDaemon, waitUntilReady, type Daemon } from "../../../../../tools/lab/acme/daemon";
import { createListenerCertificate } from "../../../../../tools/lab/acme/listenerCertificate";
import { parseKdig, startLabDns, type LabDns } from "../../../../../tools/lab/dns";
import { run, runChecked } from "../../../../../tools/lab/net/run";
import { mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";

const netns = `pmsts-${randomBytes(3).toString("hex")}`;
const dnsServer = { v4: "198.18.0.53", v6: "fd42:1ab:ffff::53" };
const policyHost = "198.18.0.80";
const ctx = mailTestContext();
const daemons: Daemon[] = [];
/** A daemon's own scratch directory: stop() removes it. */
const runDir = (name: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `pm-mta-sts-${name}-`));
const daemon = (name: string): Daemon => daemons.find((d) => d.name === name)!;
let dns: LabDns | undefined;
let dir = "";

const policies: Record<string, string> = {
  "mta-sts.enforce.dnslab": "version: STSv1\nmode: enforce\nmx: mx.enforce.dnslab\nmx: *.backup.enforce.dnslab\nmax_age: 86400\n",
  "mta-sts.testing.dnslab": "version: STSv1\nmode: testing\nmx: mx.testing.dnslab\nmax_age: 86400\n",
};

/** A policy-bearing zone: MX, the _mta-sts record, and the policy host's address. */
const policyZone = (name: string): { name: string; records: string[] } => ({
  name,
  records: ["@ MX 10 mx", "mx A 198.18.0.25", '_mta-sts TXT "v=STSv1; id=20261129T000000"', `mta-sts A ${policyHost}`],
});

/**
 * What Postfix's smtp client gets for a destination domain: the answer, or undefined for none.
 * postmap reads main.cf (an empty one: the defaults) and says on stderr when it cannot ask.
 */
async function policyFor(domain: string): Promise<string | undefined> {
  const result = await run("ip", ["netns", "exec", netns, "postmap", "-c", path.join(dir, "postfix"), "-q", domain, postfixMtaStsPolicyMap], { timeoutMs: 30_000 });
  if (result.stderr !== "" || result.code === null || result.code > 1) throw new Error(`postmap -q ${domain} failed (${result.code}): ${result.stdout}${result.stderr}`);
  return result.code === 1 ? undefined : result.stdout.trim();
}

/** A Postfix TLS policy as its parts; the resolver lists the MX patterns in no fixed order. */
function policyParts(policy: string | undefined): { level?: string; match: string[]; rest: string[] } {
  const [level, ...attributes] = (policy ?? "").split(" ");
  const match = attributes.find((a) => a.startsWith("match="))?.slice("match=".length).split(":").sort() ?? [];
  return { level, match, rest: attributes.filter((a) => !a.startsWith("match=")) };
}

/** What an enforce-mode policy with two MX patterns must turn into: TLS with a verified name, SNI sent. */
const enforced = { level: "secure", match: [".backup.enforce.dnslab", "mx.enforce.dnslab"], rest: ["servername=hostname"] };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-mta-sts-"));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, "postfix"));
  fs.writeFileSync(path.join(dir, "postfix", "main.cf"), "");
  await runChecked("ip", ["netns", "add", netns]);
  await runChecked("ip", ["-n", netns, "link", "set", "lo", "up"]);
  await runChecked("ip", ["-n", netns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"]);
  for (const link of ["eth0", "eth1"]) await runChecked("ip", ["-n", netns, "link", "set", link, "up"]);
  await runChecked("ip", ["-n", netns, "address", "add", `${policyHost}/24`, "dev", "eth1"]);
  dns = await startLabDns({
    netns,
    address: dnsServer,
    prefixLength: { v4: 24, v6: 64 },
    zones: [policyZone("enforce.dnslab"), policyZone("testing.dnslab"), { name: "plain.dnslab", records: ["@ MX 10 mx", "mx A 198.18.0.25"] }],
  });

  // The host's resolver: the bundle's unbound, trusting the lab's root; `ip netns exec` gives
  // every process of the namespace /etc/netns/<ns>/resolv.conf as its /etc/resolv.conf.
  fs.writeFileSync(path.join(dir, "root.key"), dns.rootTrustAnchor);
  fs.writeFileSync(path.join(dir, "root.hints"), dns.rootHints);
  fs.writeFileSync(
    path.join(dir, "unbound.conf"),
    renderUnboundConf(ctx)
      .replace(unboundRootTrustAnchorFile, path.join(dir, "root.key"))
      .replace(unboundRootHintsFile, path.join(dir, "root.hints"))
      .replace("control-enable: yes", "control-enable: no")
      .replace(/^server:$/m, `server:\n    username: ""\n    chroot: ""\n    directory: "${dir}"\n    pidfile: "${dir}/unbound.pid"\n    use-syslog: no\n    logfile: ""`),
  );
  fs.mkdirSync(`/etc/netns/${netns}`, { recursive: true });
  fs.writeFileSync(`/etc/netns/${netns}/resolv.conf`, "nameserver 127.0.0.1\noptions edns0 trust-ad\n");
  const unbound = startDaemon("unbound", runDir("unbound"), "ip", ["netns", "exec", netns, "unbound", "-d", "-c", path.join(dir, "unbound.conf")]);
  daemons.push(unbound);
  await waitUntilReady(unbound, async () => {
    const answer = parseKdig((await run("ip", ["netns", "exec", netns, "kdig", "@127.0.0.1", "+dnssec", "+timeout=2", "+retry=0", ".", "SOA"], { timeoutMs: 10_000 })).stdout);
    return answer.flags.includes("ad");
  }, 15_000);

  // The policy host: HTTPS with a certificate from a CA the resolver is told to trust.
  const certificate = createListenerCertificate(dir, Object.keys(policies).map((name) => `DNS:${name}`).join(","));
  fs.writeFileSync(path.join(dir, "ca.pem"), certificate.caPem);
  fs.writeFileSync(path.join(dir, "policies.json"), JSON.stringify(policies));
  fs.writeFileSync(
    path.join(dir, "policy_host.py"),
    [
      "import http.server, json, ssl, sys",
      "policies = json.load(open(sys.argv[1]))",
      "class Handler(http.server.BaseHTTPRequestHandler):",
      "    def do_GET(self):",
      "        body = policies.get(self.headers.get('Host', '').split(':')[0])",
      "        if self.path != '/.well-known/mta-sts.txt' or body is None:",
      "            self.send_error(404); return",
      "        data = body.encode()",
      "        self.send_response(200)",
      "        self.send_header('Content-Type', 'text/plain')",
      "        self.send_header('Content-Length', str(len(data)))",
      "        self.end_headers()",
      "        self.wfile.write(data)",
      "server = http.server.HTTPServer((sys.argv[2], 443), Handler)",
      "context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)",
      "context.load_cert_chain(sys.argv[3], sys.argv[4])",
      "server.socket = context.wrap_socket(server.socket, server_side=True)",
      "print('ready', flush=True)",
      "server.serve_forever()",
    ].join("\n"),
  );
  const policyServer = startDaemon("policy host", runDir("policy-host"), "ip", ["netns", "exec", netns, "/usr/bin/python3", path.join(dir, "policy_host.py"), path.join(dir, "policies.json"), policyHost, certificate.certificateFile, certificate.keyFile]);
  daemons.push(policyServer);
  await waitUntilReady(policyServer, async () => policyServer.output().includes("ready\n"), 15_000);

  // The resolver with the rendered settings; only its cache file moves to the scratch directory.
  const conf = renderMtaStsResolverConf(ctx).replace("/var/lib/mta-sts/cache.db", path.join(dir, "cache.db"));
  expect(conf).not.toContain("/var/lib/mta-sts");
  fs.writeFileSync(path.join(dir, "mta-sts-daemon.yml"), conf);
  const resolver = startDaemon("mta-sts-daemon", runDir("resolver"), "ip", ["netns", "exec", netns, "env", `SSL_CERT_FILE=${path.join(dir, "ca.pem")}`, "mta-sts-daemon", "-c", path.join(dir, "mta-sts-daemon.yml")]);
  daemons.push(resolver);
  await waitUntilReady(resolver, async () => {
    try {
      return (await policyFor("plain.dnslab")) === undefined;
    } catch {
      return false;
    }
  }, 20_000);
}, 90_000);

afterAll(async () => {
  const steps = await Promise.allSettled([...daemons.reverse().map((d) => d.stop()), dns?.stop()]);
  await run("ip", ["netns", "del", netns]);
  fs.rmSync(`/etc/netns/${netns}`, { recursive: true, force: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  for (const step of steps) if (step.status === "rejected") throw step.reason;
}, 60_000);

describe("postfix-mta-sts-resolver with the rendered settings", () => {
  it("answers an enforce-mode domain with `secure` and its MX patterns, with SNI as RFC 8461 requires", async () => {
    expect(policyParts(await policyFor("enforce.dnslab")), daemon("mta-sts-daemon").output()).toEqual(enforced);
  });

  it("gives no answer for a testing-mode domain or a domain without a policy, so DANE or opportunistic TLS applies", async () => {
    expect(await policyFor("testing.dnslab")).toBeUndefined();
    expect(await policyFor("plain.dnslab")).toBeUndefined();
  });

  it("keeps an enforced policy in its cache when the policy host goes away (RFC 8461 5.1: used until max_age)", async () => {
    await daemon("policy host").stop();
    expect(policyParts(await policyFor("enforce.dnslab"))).toEqual(enforced);
  });
});
