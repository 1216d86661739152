/**
 * `npm run check -- dnssec` against Knot serving a signed root, a signed TLD and tenant zones under
 * it (test/support/dns/knotZones.ts), validated with delv from the lab root's trust anchor: a
 * tenant whose DS is at the parent and whose TLSA records validate, one signed whose DS was never
 * published, one whose DS matches no key, one unsigned, and a resolver that does not answer.
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTlsaRecord, formatTlsaRecord, spkiSha256 } from "../../../baseline/dns/tlsa";
import { parseDelvOutput } from "../../../tools/check/dnssec";
import { freeLoopbackPort } from "../../../tools/lab/acme";
import { mockKeyMaterial } from "../../../tools/mockRuntime/mockKeyMaterial";
import { startKnotZones, type KnotZones } from "../../support/dns/knotZones";

const projectDir = path.resolve(__dirname, "../../..");
const tlsa = formatTlsaRecord(buildTlsaRecord(spkiSha256(mockKeyMaterial["ecdsa-P256"]!)));
let dns: KnotZones | undefined;

beforeAll(async () => {
  dns = await startKnotZones([
    { name: ".", signed: true },
    { name: "dnslab.", signed: true },
    { name: "tenant.dnslab.", signed: true, records: [`_25._tcp.mail 300 TLSA ${tlsa}`] },
    { name: "nods.dnslab.", signed: true, parentDs: "none", records: [`_25._tcp.mail 300 TLSA ${tlsa}`] },
    { name: "bogus.dnslab.", signed: true, parentDs: "bogus", records: [`_25._tcp.mail 300 TLSA ${tlsa}`] },
    { name: "notlsa.dnslab.", signed: true },
    { name: "plain.dnslab.", signed: false },
  ]);
}, 60_000);

afterAll(async () => {
  await dns?.stop();
});

function check(...args: string[]) {
  const run = spawnSync(process.execPath, [path.join(projectDir, "node_modules/tsx/dist/cli.mjs"), "tools/check/main.ts", "dnssec", ...args], {
    cwd: projectDir,
    encoding: "utf8",
    timeout: 90_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const lab = () => ["--resolver", dns!.address, "--trust-anchor", dns!.trustAnchorFile];

describe("npm run check -- dnssec", () => {
  it("says DANE is live when the DS is at the parent, the keys validate and the TLSA records validate", () => {
    const run = check("tenant.dnslab", ...lab());
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^tenant\.dnslab: DNSSEC and DANE, checked \d{4}-/);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}DS {5}ok {10}tenant\.dnslab: DS published at the parent and validated$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}DNSKEY ok {10}tenant\.dnslab: the zone's keys validate from the root$/));
    expect(lines).toContainEqual(`  TLSA   ok          _25._tcp.mail.tenant.dnslab: TLSA records validated: DANE is live for inbound mail`);
    expect(lines).toContain(`${" ".repeat(21)}_25._tcp.mail.tenant.dnslab. 300 IN TLSA ${tlsa}`);
    expect(lines).toContain("DANE is live.");
  });

  it("warns while the DS is not at the registrar yet, and when there is no TLSA record", () => {
    const nods = check("nods.dnslab", ...lab(), "--json");
    expect(nods.code).toBe(1);
    const report = JSON.parse(nods.stdout) as { daneLive: boolean; findings: { check: string; level: string; summary: string }[] };
    expect(report.daneLive).toBe(false);
    expect(report.findings.map((f) => `${f.check} ${f.level} ${f.summary}`)).toEqual([
      "ds warning no DS at the parent: publish the stack's dnssecDsRecord at the registrar",
      "dnskey warning the zone is signed but not validated: its DS is not at the parent yet",
      "tlsa warning TLSA records not validated: DANE clients ignore them",
    ]);
    const notlsa = check("notlsa.dnslab", ...lab());
    expect(notlsa.code).toBe(1);
    expect(notlsa.stdout).toContain("TLSA   warning     _25._tcp.mail.notlsa.dnslab: no TLSA record: sending MTAs do not use DANE");
    const plain = check("plain.dnslab", ...lab());
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain("DNSKEY warning     plain.dnslab: the zone publishes no DNSKEY: it is not signed");
  });

  it("is critical when the DS matches no key of the zone: validating resolvers refuse the whole zone", () => {
    const run = check("bogus.dnslab", ...lab());
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/^ {2}DNSKEY critical {4}bogus\.dnslab: the chain is broken \(.+\): validating resolvers answer SERVFAIL for the whole zone$/m);
    expect(run.stdout).toContain("DANE is not live yet.");
  });

  it("is unreachable when the resolver does not answer, and refuses bad arguments in one line", async () => {
    const closed = await freeLoopbackPort(true);
    const run = check("tenant.dnslab", "--resolver", `127.0.0.1:${closed}`, "--trust-anchor", dns!.trustAnchorFile, "--timeout", "10");
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/^ {2}DS {5}unreachable tenant\.dnslab: no validated answer: /m);

    const bad = check("tenant.dnslab", "--resolver", "dns.example");
    expect(bad.code).toBe(64);
    expect(bad.stderr).toBe(`error: option '--resolver <address>' argument 'dns.example' is invalid. "dns.example" is not "ip", "ip:port" or "[ipv6]:port" (npm run check -- dnssec --help for usage)\n`);
    const notAnchor = path.join(path.dirname(dns!.trustAnchorFile), "knot.conf");
    expect(fs.existsSync(notAnchor)).toBe(true);
    expect(check("tenant.dnslab", "--trust-anchor", notAnchor).stderr).toMatch(/knot\.conf is not a trust-anchors \{ \.\.\. \}; file/);
    expect(check("tenant..dnslab").code).toBe(64);
  });
});

describe("reading delv", () => {
  it("tells validated, absent, unsigned, bogus and unreachable apart", () => {
    expect(parseDelvOutput("; fully validated\na.\t\t300\tIN\tDS\t1 13 2 ABCD EF01\na. 300 IN RRSIG DS 13 1 300 x\n", "")).toEqual({ kind: "validated", records: ["a. 300 IN DS 1 13 2 abcdef01"] });
    expect(parseDelvOutput("; negative response, fully validated\n; a. 60 IN \\-DS ;-$NXRRSET\n", ";; resolution failed: ncache nxrrset\n")).toEqual({ kind: "validated-absent" });
    expect(parseDelvOutput("; unsigned answer\na. 300 IN SOA x. y. 1 2 3 4 5\n", "")).toMatchObject({ kind: "insecure" });
    expect(parseDelvOutput("", ";; validating a/DNSKEY: no valid signature found (DS)\n;; resolution failed: no valid RRSIG\n")).toEqual({
      kind: "bogus",
      reason: "validating a/DNSKEY: no valid signature found (DS)",
    });
    expect(parseDelvOutput("", ";; connection refused resolving 'a/DS/IN': 127.0.0.1#1\n;; resolution failed: failure\n")).toEqual({ kind: "unreachable", reason: "resolution failed: failure" });
  });
});
