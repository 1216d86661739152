// The resolver's check and health commands in bash, against scratch files and a stand-in dig.
// On a booted Debian with the real dig and unbound: test/system/hostBundle/apply/applyOnDebian.test.ts.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dhclientHookCheckCommand, resolvConfCheckCommand, resolverHealthCommand } from "../../../../hostBundle/apply/resolverChecks";
import { renderDhclientResolverHook, renderResolvConf } from "../../../../hostBundle/render/system/hostResolver";
import { bundleTestContext } from "../../../support/hostBundle/bundle/bundleFixture";

const ctx = bundleTestContext();
const scratch = mkdtempSync(join(tmpdir(), "pm-resolver-checks-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const bin = join(scratch, "bin");
mkdirSync(bin);

const validated = ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4711\n;; flags: qr rd ra ad; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1\n";
const unvalidated = validated.replace(" ad;", ";");
const servfail = validated.replace("NOERROR", "SERVFAIL").replace(" ad;", ";");
const unreachable = ";; communications error to 127.0.0.1#53: connection refused\n;; no servers could be reached\n";

/** Runs `command` with a dig that prints `digOutput` (and records its arguments). */
function run(command: string, digOutput = validated) {
  writeFileSync(join(bin, "dig"), `#!/bin/sh\necho "$@" > "${join(scratch, "dig-args")}"\ncat <<'EOF'\n${digOutput}EOF\n`);
  chmodSync(join(bin, "dig"), 0o755);
  // stdin not a socket (node's pipes are): bash would take itself for a remote shell and read ~/.bashrc.
  const result = spawnSync("bash", ["-c", command], { env: { PATH: `${bin}:${process.env.PATH}` }, stdio: ["ignore", "pipe", "pipe"] });
  return { status: result.status, out: result.stdout.toString() + result.stderr.toString() };
}

function files(etc: string, chroot: string | undefined) {
  const dir = mkdtempSync(join(scratch, "case-"));
  const paths = { resolvConf: join(dir, "resolv.conf"), chrootResolvConf: join(dir, "chroot-resolv.conf") };
  writeFileSync(paths.resolvConf, etc);
  if (chroot !== undefined) writeFileSync(paths.chrootResolvConf, chroot);
  return paths;
}

const rendered = renderResolvConf(ctx);
const droplet = "nameserver 67.207.67.2\nnameserver 67.207.67.3\n";

describe("the resolver health probe", () => {
  it("passes when both files name only the local unbound and it answers the root's SOA with AD", () => {
    const result = run(resolverHealthCommand(files(rendered, rendered)));
    expect(result.out).toBe("");
    expect(result.status).toBe(0);
  });

  it("names a foreign resolver in Postfix's chroot, even when /etc/resolv.conf is right", () => {
    const paths = files(rendered, droplet);
    const result = run(resolverHealthCommand(paths));
    expect(result.status).toBe(1);
    expect(result.out).toContain(`${paths.chrootResolvConf}: names nameserver 67.207.67.2, not the local validating unbound (127.0.0.1)`);
    expect(result.out).toContain(`${paths.chrootResolvConf}: names nameserver 67.207.67.3,`);
    expect(result.out).toContain(`${paths.chrootResolvConf}: has no "options trust-ad"`);
    expect(result.out).not.toContain(`${paths.resolvConf}:`);
  });

  it("refuses a second resolver next to the local one, a missing trust-ad and a missing copy", () => {
    const both = files(`nameserver 127.0.0.1\nnameserver 8.8.8.8\noptions trust-ad\n`, undefined);
    const result = run(resolverHealthCommand(both));
    expect(result.status).toBe(1);
    expect(result.out).toContain(`${both.resolvConf}: names nameserver 8.8.8.8,`);
    expect(result.out).toContain(`${both.chrootResolvConf}: missing`);
    const noTrustAd = files("nameserver 127.0.0.1\noptions edns0\n", "nameserver 127.0.0.1\noptions edns0 trust-ad\n");
    expect(run(resolverHealthCommand(noTrustAd)).out).toContain(`${noTrustAd.resolvConf}: has no "options trust-ad"`);
    const empty = files("# nothing\n", rendered);
    expect(run(resolverHealthCommand(empty)).out).toContain(`${empty.resolvConf}: names no nameserver`);
  });

  it("asks 127.0.0.1 for the root zone's SOA with DNSSEC, and fails without the AD bit, on SERVFAIL or without an answer", () => {
    const paths = files(rendered, rendered);
    run(resolverHealthCommand(paths));
    expect(spawnSync("cat", [join(scratch, "dig-args")]).stdout.toString().trim()).toBe("@127.0.0.1 +dnssec +time=2 +tries=1 . SOA");
    for (const [output, shown] of [
      [unvalidated, "status NOERROR, flags qr rd ra: no validated answer"],
      [servfail, "status SERVFAIL, flags qr rd ra: no validated answer"],
      [unreachable, "status none, flags none: no validated answer"],
    ] as const) {
      const result = run(resolverHealthCommand(paths), output);
      expect(result.status, output).toBe(1);
      expect(result.out, output).toContain(`a DNSSEC query for the root zone's SOA through 127.0.0.1 got ${shown}`);
    }
  });
});

describe("the validation checks", () => {
  it("accept the rendered resolv.conf and refuse a droplet's", () => {
    const good = files(rendered, undefined).resolvConf;
    expect(run(resolvConfCheckCommand(good))).toEqual({ status: 0, out: "" });
    const bad = files(droplet, undefined).resolvConf;
    const result = run(resolvConfCheckCommand(bad));
    expect(result.status).toBe(1);
    expect(result.out).toContain(`${bad}: names nameserver 67.207.67.2`);
  });

  it("parse the dhclient hook with sh, and refuse one that does not parse", () => {
    const hook = join(scratch, "hook");
    writeFileSync(hook, renderDhclientResolverHook(ctx));
    expect(run(dhclientHookCheckCommand(hook)).status).toBe(0);
    writeFileSync(hook, "make_resolv_conf() {\n");
    expect(run(dhclientHookCheckCommand(hook)).status).not.toBe(0);
  });
});
