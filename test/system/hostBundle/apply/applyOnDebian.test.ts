import { createHash, X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHostBundle } from "../../../../hostBundle/buildHostBundle";
import { assembleHostBundle, type HostBundle } from "../../../../hostBundle/format/hostBundle";
import { hostLayout } from "../../../../hostBundle/hostLayout";
import { checkedServices } from "../../../../tools/check/services";
import { probe } from "../../../../tools/check/probe";
import { startDebianHost, type DebianHost } from "../../../../tools/lab/debianHost";
import { testRsaKeyPem } from "../../../support/hostBundle/bundle/bundleFixture";
import { selfSignedCertificate } from "../bundle/selfSignedCertificate";
import { auditEvents, labContext, labDkimKeys, prepareUpload, serviceEvents, unitStates, uploadAndApply, type AuditEvent } from "../../../../tools/lab/labApply";
import { mailLabDomains, mailLabMx, mailLabZones, publishMailLabTlsa, startLabDnsFor, type LabDns } from "../../../../tools/lab/dns";
import { postfixChrootResolvConfPath } from "../../../../hostBundle/apply/resolverChecks";

// A cold rootfs build with the host's packages takes minutes; later runs reuse it.
const BOOT_TIMEOUT_MS = 15 * 60_000;
const APPLY_TIMEOUT_MS = 5 * 60_000;

let host: DebianHost;
let dns: LabDns | undefined;
let good: HostBundle;

function withFile(bundle: HostBundle, path: string, edit: (content: string) => string): HostBundle {
  const ctx = labContextFor();
  return assembleHostBundle(ctx, bundle.files.map((f) => (f.path === path ? { ...f, content: edit(f.content) } : f)));
}

function labContextFor(overrides: Record<string, unknown> = {}) {
  return labContext(host, overrides);
}

async function liveSha(path: string): Promise<string> {
  const result = await host.exec(`sha256sum ${path}`);
  return result.stdout.split(" ")[0]!;
}

async function newEvents(before: number): Promise<AuditEvent[]> {
  return (await auditEvents(host)).slice(before);
}

/** The settings of a resolv.conf: every line but comments and blanks. */
function resolverSettings(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !/^[#;]/.test(l));
}

const localResolver = ["nameserver 127.0.0.1", "options edns0 trust-ad"];

/** Runs `command` on the host with Postfix's chroot copy of resolv.conf in place of /etc/resolv.conf. */
function withPostfixResolver(command: string): string {
  return `unshare --mount --propagation private -- sh -c 'mount --bind ${postfixChrootResolvConfPath} /etc/resolv.conf && exec "$@"' sh ${command}`;
}

/** dig's status line and flags. */
async function dig(args: string, view: (c: string) => string = (c) => c): Promise<{ status: string; flags: string[]; out: string }> {
  const out = (await host.exec(view(`dig +dnssec +time=3 +tries=1 ${args}`))).stdout;
  return {
    status: /status: ([A-Z]+)/.exec(out)?.[1] ?? "none",
    flags: /^;; flags: ([^;]*);/m.exec(out)?.[1]?.trim().split(/\s+/) ?? [],
    out,
  };
}

/** A TLS handshake from this side of the lab link, as a client on the internet would make it. */
async function handshake(port: number) {
  const service = checkedServices.find((s) => s.port === port)!;
  // nginx answers only for the MTA-STS name; the mail listeners carry the mail host's.
  const name = port === 443 ? labContextFor().mtaStsHostname : host.hostname;
  return probe({ host: name, address: host.address.v4, service, timeoutMs: 10_000 });
}

beforeAll(async () => {
  host = await startDebianHost();
  // The lab's DNSSEC internet on the host's link; the host trusts its root instead of the real one.
  dns = await startLabDnsFor(host, mailLabZones(host.address, host.clientAddress));
  await prepareUpload(host);
  good = buildHostBundle(labContextFor(), { dkimPrivateKeyPems: labDkimKeys(labContextFor(), testRsaKeyPem()) });
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await dns?.stop();
  await host?.stop();
}, 60_000);

describe("the apply script on a booted Debian 12", () => {
  it("brings a fresh system to a working mail server", async () => {
    // A droplet's resolv.conf: the provider's resolvers, which nobody here validates.
    expect(resolverSettings((await host.exec("cat /etc/resolv.conf")).stdout)).toEqual(["nameserver 67.207.67.2", "nameserver 67.207.67.3"]);
    const run = await uploadAndApply(host, good);
    expect(run.stdout + run.stderr).toContain(`applied bundle ${good.hash}`);
    expect(run.code).toBe(0);

    const listening = (await host.exec("ss -Hltn")).stdout;
    for (const port of [25, 465, 587, 993, 443, 22]) expect(listening, `port ${port}`).toMatch(new RegExp(`:${port}\\s`));
    const states = await unitStates(host);
    for (const [unit, state] of Object.entries(states)) expect(state, unit).toMatch(/^active /);

    for (const port of [25, 465, 587, 993, 443]) {
      const result = await handshake(port);
      expect(result.error, `port ${port}`).toBeUndefined();
      expect(result.tlsVersion, `port ${port}`).toMatch(/^TLSv1\.[23]$/);
      expect(result.subjectNames, `port ${port}`).toContain(port === 443 ? labContextFor().mtaStsHostname : host.hostname);
    }
    const events = await auditEvents(host);
    const applied = events.filter((e) => e.eventType === "infrastructure.config.applied");
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({
      tenantId: "lab.example",
      eventCategory: "infrastructure",
      action: "update",
      resource: "host-config",
      resourceId: good.hash,
      requestId: good.hash,
      ipAddress: host.runnerAddress.v4,
      severity: "info",
    });
    expect(Object.keys(applied[0]!.changeset!.after)).toEqual(expect.arrayContaining(good.files.map((f) => f.path)));
    expect(events.some((e) => e.eventType === "infrastructure.certificate.placeholder_created")).toBe(true);
    // The resolver Postfix's chroot uses is now the local validating unbound only.
    for (const file of ["/etc/resolv.conf", postfixChrootResolvConfPath]) {
      expect(resolverSettings((await host.exec(`cat ${file}`)).stdout), file).toEqual(localResolver);
    }
  }, APPLY_TIMEOUT_MS);

  it("changes nothing and restarts nothing when run again with the same bundle", async () => {
    const statesBefore = await unitStates(host);
    const eventsBefore = (await auditEvents(host)).length;
    const run = await uploadAndApply(host, good);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`unchanged: bundle ${good.hash} is installed; nothing reloaded`);
    const events = await newEvents(eventsBefore);
    expect(events.map((e) => e.eventType)).toEqual(["infrastructure.config.unchanged"]);
    expect(serviceEvents(events)).toEqual([]);
    expect(await unitStates(host)).toEqual(statesBefore);
  }, APPLY_TIMEOUT_MS);

  it("puts back a hand-edited file and reloads only the service that reads it", async () => {
    const site = good.files.find((f) => f.path.startsWith("/etc/nginx/conf.d/"))!;
    await host.exec(`echo '# edited by hand' >> ${site.path}`);
    const statesBefore = await unitStates(host);
    const eventsBefore = (await auditEvents(host)).length;
    const run = await uploadAndApply(host, good);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain("changes 1 file(s) of: nginx");
    expect(await liveSha(site.path)).toBe(createHash("sha256").update(site.content).digest("hex"));
    const events = await newEvents(eventsBefore);
    expect(serviceEvents(events).map((e) => [e.eventType, e.resourceId])).toEqual([["infrastructure.service.reloaded", "nginx"]]);
    expect(events.find((e) => e.eventType === "infrastructure.config.applied")?.changeset?.after).toEqual({ [site.path]: createHash("sha256").update(site.content).digest("hex") });
    const statesAfter = await unitStates(host);
    for (const unit of Object.keys(statesBefore)) expect(statesAfter[unit], unit).toBe(statesBefore[unit]);
  }, APPLY_TIMEOUT_MS);

  it("installs a new certificate and reloads exactly the three listeners that serve it", async () => {
    const ctx = labContextFor();
    const cert = selfSignedCertificate(ctx.mailHostname, ctx.mtaStsHostname);
    const withCert = buildHostBundle(ctx, { dkimPrivateKeyPems: labDkimKeys(ctx, testRsaKeyPem()), tlsCertificate: cert });
    const statesBefore = await unitStates(host);
    const eventsBefore = (await auditEvents(host)).length;
    const run = await uploadAndApply(host, withCert);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain("changes 2 file(s) of: dovecot postfix nginx");
    const events = await newEvents(eventsBefore);
    expect(serviceEvents(events).map((e) => e.resourceId)).toEqual(["dovecot", "postfix", "nginx"]);
    const serial = new X509Certificate(cert.fullchainPem).serialNumber;
    for (const port of [25, 993, 443]) {
      const result = await handshake(port);
      expect(result.error, `port ${port}`).toBeUndefined();
      expect(result.notAfter, `port ${port}`).toBe(new Date(new X509Certificate(cert.fullchainPem).validTo).toISOString());
    }
    expect((await host.exec(`openssl x509 -noout -serial -in ${hostLayout.tls.fullchain}`)).stdout.trim()).toBe(`serial=${serial}`);
    expect((await host.exec(`stat -c '%a %U' ${hostLayout.tls.privateKey}`)).stdout.trim()).toBe("600 root");
    const statesAfter = await unitStates(host);
    for (const unit of ["unbound.service", "rspamd.service", "postfwd.service", "ssh.service", "fail2ban.service"]) expect(statesAfter[unit], unit).toBe(statesBefore[unit]);

    // A bundle without a certificate again (as before issuance) keeps the host's pair.
    const back = await uploadAndApply(host, good);
    expect(back.stdout).toContain("unchanged");
  }, APPLY_TIMEOUT_MS);

  it("rolls back a Postfix setting that only fails at runtime, naming main.cf, and keeps serving", async () => {
    const mainCf = "/etc/postfix/main.cf";
    const before = await liveSha(mainCf);
    const eventsBefore = (await auditEvents(host)).length;
    // postconf and `postfix check` accept this; Postfix then runs without TLS, warning in its log.
    const broken = withFile(good, mainCf, (c) => c.replace(/^smtpd_tls_protocols = .*$/m, "smtpd_tls_protocols = >=TLSv1.9"));
    expect(broken.hash).not.toBe(good.hash);
    const run = await uploadAndApply(host, broken);
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(4);
    expect(output).toContain(mainCf);
    expect(output).toMatch(/TLS handshake on port 25 failed|postfix logged after the reload/);
    expect(await liveSha(mainCf)).toBe(before);
    const smtp = await handshake(25);
    expect(smtp.error).toBeUndefined();
    expect(smtp.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    const events = await newEvents(eventsBefore);
    expect(events.map((e) => e.eventType)).toContain("infrastructure.config.rolled_back");
    expect(events.find((e) => e.eventType === "infrastructure.config.rolled_back")).toMatchObject({ severity: "critical", requestId: broken.hash });
  }, APPLY_TIMEOUT_MS);

  it("never locks SSH out: a ruleset that does not load or shuts out the deployer, or an sshd config that refuses them, is refused before it goes live", async () => {
    const ruleset = hostLayout.nftablesRuleset;
    const before = await liveSha(ruleset);

    const typo = withFile(good, ruleset, (c) => c.replace("policy drop;", "policy dorp;"));
    const rejected = await uploadAndApply(host, typo);
    expect(rejected.code, rejected.stdout).toBe(3);
    expect(rejected.stdout).toContain(`nftables: \`nft -c -f ${ruleset}\` failed`);

    // A valid ruleset whose SSH sources leave out the address this deploy comes from.
    // A block of the documentation ranges outside this run's lab subnet (which other runs may push into 203.0.113.0/24).
    const outside = ["203.0.113.0/28", "198.51.100.0/28"].find((cidr) => !host.subnet.cidr.v4.startsWith(cidr.replace(/\d+\/28$/, "")))!;
    const elsewhere = buildHostBundle(labContextFor({ adminCidrs: [outside] }), { dkimPrivateKeyPems: labDkimKeys(labContextFor(), testRsaKeyPem()) });
    const lockout = await uploadAndApply(host, elsewhere);
    expect(lockout.code, lockout.stdout).toBe(3);
    expect(lockout.stdout).toContain("the staged ruleset would lock SSH out");
    expect(lockout.stdout).toContain(`SSH from ${host.runnerAddress.v4} `);

    // An sshd config that no longer admits the deploying account.
    const sshdBefore = await liveSha(hostLayout.sshdDropIn);
    const otherAdmin = buildHostBundle(labContextFor({ adminUser: "mailadmin" }), { dkimPrivateKeyPems: labDkimKeys(labContextFor(), testRsaKeyPem()) });
    const shutOut = await uploadAndApply(host, otherAdmin);
    expect(shutOut.code, shutOut.stdout).toBe(3);
    expect(shutOut.stdout).toContain(`ssh: the new sshd config would lock out ${host.adminUser}, who is deploying (AllowUsers mailadmin)`);
    expect(await liveSha(hostLayout.sshdDropIn)).toBe(sshdBefore);

    expect(await liveSha(ruleset)).toBe(before);
    const fresh = await host.ssh("echo still-in");
    expect(fresh.stdout.trim()).toBe("still-in");
    const fresh6 = await host.ssh("echo still-in", { family: "v6" });
    expect(fresh6.stdout.trim()).toBe("still-in");
  }, APPLY_TIMEOUT_MS);

  it("leaves the good bundle installed and recorded after every refused one", async () => {
    const run = await uploadAndApply(host, good);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("unchanged");
    const installed = (await host.exec("cat /var/lib/penguinmails/installed/manifest.json")).stdout;
    expect(createHash("sha256").update(installed).digest("hex")).toBe(good.hash);
  }, APPLY_TIMEOUT_MS);
});

describe("the host's resolver, pinned to the local validating unbound", () => {
  it("is a regular file naming only 127.0.0.1, and Postfix's chroot has the same copy", async () => {
    for (const file of ["/etc/resolv.conf", postfixChrootResolvConfPath]) {
      expect((await host.exec(`stat -c %F ${file}`)).stdout.trim(), file).toBe("regular file");
      expect(resolverSettings((await host.exec(`cat ${file}`)).stdout), file).toEqual(localResolver);
    }
  });

  it("validates through it, from /etc and from Postfix's chroot: AD for the signed lab zone, SERVFAIL for the bogus one", async () => {
    for (const view of [undefined, withPostfixResolver]) {
      const secure = await dig(`${mailLabMx(mailLabDomains.secure)} A`, view);
      expect(secure.status, secure.out).toBe("NOERROR");
      expect(secure.flags, secure.out).toContain("ad");
      const bogus = await dig(`${mailLabMx(mailLabDomains.bogus)} A`, view);
      expect(bogus.status, bogus.out).toBe("SERVFAIL");
      const tlsa = await dig(`_25._tcp.${mailLabMx(mailLabDomains.bogusTlsa)} TLSA`, view);
      expect(tlsa.status, tlsa.out).toBe("SERVFAIL");
    }
    // With validation off the bogus records are there: SERVFAIL is the signature failing, not a missing zone.
    const unchecked = await dig(`+cd ${mailLabMx(mailLabDomains.bogus)} A`);
    expect(unchecked.status, unchecked.out).toBe("NOERROR");
    expect(unchecked.out).toContain(host.clientAddress.v4);
  });

  it("gives Postfix's DANE the difference: verified for the signed domain, a TLSA lookup error for the bogus one, deferral for both bogus domains", async () => {
    const spki = (await host.exec(`openssl x509 -in ${hostLayout.tls.fullchain} -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum`)).stdout.split(" ")[0]!;
    await publishMailLabTlsa(dns!, spki);
    // Nothing unbound cached about the zone (an NSEC record, aggressive-nsec) may hide the new record.
    await host.exec("unbound-control flush_zone secure.dnslab >/dev/null");
    const finger = (domain: string) => host.exec(withPostfixResolver(`posttls-finger -c -l dane -t 10 ${domain}`), { timeoutMs: 60_000 });
    const verified = await finger(mailLabDomains.secure);
    expect(verified.stdout + verified.stderr).toMatch(new RegExp(`Verified TLS connection established to ${mailLabMx(mailLabDomains.secure).replace(/\./g, "\\.")}\\[`));
    const tlsaError = await finger(mailLabDomains.bogusTlsa);
    expect(tlsaError.stdout + tlsaError.stderr).toMatch(/TLSA lookup error/i);
    expect(tlsaError.stdout + tlsaError.stderr).not.toMatch(/TLS connection established|Trusted|Untrusted|Anonymous/);

    // Real deliveries from Postfix's chrooted smtp: both defer on the DNS error, neither connects.
    const logMark = Number((await host.exec(`stat -c %s ${hostLayout.postfixLog}`)).stdout.trim());
    const recipients = { tlsa: `someone@${mailLabDomains.bogusTlsa}`, bogus: `someone@${mailLabDomains.bogus}` };
    for (const to of Object.values(recipients)) {
      const sent = await host.exec(`printf 'Subject: DANE lab\\n\\nhello\\n' | sendmail -f root@${labContextFor().config.domain} ${to}`);
      expect(sent.code, sent.stderr).toBe(0);
    }
    let log = "";
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      log = (await host.exec(`tail -c +${logMark + 1} ${hostLayout.postfixLog}`)).stdout;
      if (Object.values(recipients).every((to) => new RegExp(`to=<${to.replace(/\./g, "\\.")}>.*status=deferred`).test(log))) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const lineFor = (to: string) => log.split("\n").find((l) => l.includes(`to=<${to}>`) && l.includes("status="));
    expect(lineFor(recipients.tlsa), log).toMatch(/status=deferred .*TLSA lookup error/);
    expect(lineFor(recipients.bogus), log).toMatch(/status=deferred .*Name service error for name=bogus\.dnslab type=MX: Host not found, try again/);
    for (const to of Object.values(recipients)) expect(log).not.toMatch(new RegExp(`to=<${to.replace(/\./g, "\\.")}>.*(relay=[^n]|status=sent)`));
    // Queued retries would write to the mail log during later applies.
    await host.exec("postsuper -d ALL >/dev/null 2>&1");
  }, APPLY_TIMEOUT_MS);

  it("stays as it is when dhclient-script takes a lease with other resolvers; without the hook the same lease rewrites it", async () => {
    // In throwaway mount and network namespaces: the lease configures a scratch loopback, and a
    // scratch copy stands in for /etc/resolv.conf, so the host's own is never at stake.
    const lease = (hideHook: boolean) =>
      host.exec(
        "unshare --mount --propagation private --net -- sh -c '" +
          "ip link set lo up; cp /etc/resolv.conf /run/lab-resolv.conf && mount --bind /run/lab-resolv.conf /etc/resolv.conf && " +
          (hideHook ? "mount -t tmpfs none /etc/dhcp/dhclient-enter-hooks.d && " : "") +
          "env reason=BOUND interface=lo new_ip_address=127.0.0.9 new_subnet_mask=255.0.0.0 " +
          "new_domain_name_servers=\"67.207.67.2 67.207.67.3\" new_domain_name=droplet.example /sbin/dhclient-script; " +
          "cat /etc/resolv.conf'; rm -f /run/lab-resolv.conf",
      );
    const kept = await lease(false);
    expect(resolverSettings(kept.stdout), kept.stderr).toEqual(localResolver);
    const rewritten = await lease(true);
    expect(resolverSettings(rewritten.stdout), rewritten.stderr).toContain("nameserver 67.207.67.2");
    expect(resolverSettings((await host.exec("cat /etc/resolv.conf")).stdout)).toEqual(localResolver);
  });

  it("refuses a bundle whose resolv.conf names another resolver before it goes live", async () => {
    const before = await liveSha("/etc/resolv.conf");
    const foreign = withFile(good, "/etc/resolv.conf", (c) => c.replace("nameserver 127.0.0.1", "nameserver 67.207.67.2"));
    const run = await uploadAndApply(host, foreign);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stdout + run.stderr).toContain("/etc/resolv.conf: names nameserver 67.207.67.2, not the local validating unbound (127.0.0.1)");
    expect(await liveSha("/etc/resolv.conf")).toBe(before);
  }, APPLY_TIMEOUT_MS);

  it("replaces a systemd-resolved symlink with the file, and rolls back (exit 4) when a foreign resolver lands in Postfix's chroot during the apply", async () => {
    // An image with systemd-resolved: /etc/resolv.conf links to its stub resolver's file.
    await host.exec(
      "mkdir -p /run/systemd/resolve && printf 'nameserver 127.0.0.53\\noptions edns0 trust-ad\\n' > /run/systemd/resolve/stub-resolv.conf && " +
        "ln -sfn ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf",
    );
    // Something the hook does not cover rewrites resolv.conf while unbound reloads, once: the
    // apply's own copy then carries the foreign resolvers into Postfix's chroot.
    const hostileScript = "#!/bin/sh\nrm /run/lab-hostile-once 2>/dev/null || exit 0\nprintf 'nameserver 67.207.67.2\\nnameserver 67.207.67.3\\n' > /etc/resolv.conf\n";
    await host.exec("cat > /usr/local/sbin/lab-hostile-resolver && chmod 755 /usr/local/sbin/lab-hostile-resolver", { input: hostileScript });
    await host.exec("mkdir -p /etc/systemd/system/unbound.service.d && cat > /etc/systemd/system/unbound.service.d/zz-lab-hostile.conf", {
      input: "[Service]\nExecReload=/usr/local/sbin/lab-hostile-resolver\n",
    });
    await host.exec("systemctl daemon-reload && touch /run/lab-hostile-once");
    const eventsBefore = (await auditEvents(host)).length;
    const hostile = await uploadAndApply(host, good);
    const output = hostile.stdout + hostile.stderr;
    expect(hostile.code, output).toBe(4);
    expect(output).toContain("unbound: not proven: the resolver Postfix's chroot uses is the local validating unbound");
    expect(output).toContain(`${postfixChrootResolvConfPath}: names nameserver 67.207.67.2, not the local validating unbound (127.0.0.1)`);
    expect((await newEvents(eventsBefore)).map((e) => e.eventType)).toContain("infrastructure.config.rolled_back");
    // Rolled back to what was there: the symlink.
    expect((await host.exec("readlink /etc/resolv.conf")).stdout.trim()).toBe("../run/systemd/resolve/stub-resolv.conf");

    await host.exec("rm -f /etc/systemd/system/unbound.service.d/zz-lab-hostile.conf /usr/local/sbin/lab-hostile-resolver /run/lab-hostile-once && systemctl daemon-reload");
    const fixed = await uploadAndApply(host, good);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain("changes 1 file(s) of: unbound");
    for (const file of ["/etc/resolv.conf", postfixChrootResolvConfPath]) {
      expect((await host.exec(`stat -c %F ${file}`)).stdout.trim(), file).toBe("regular file");
      expect(resolverSettings((await host.exec(`cat ${file}`)).stdout), file).toEqual(localResolver);
    }
    const installed = (await host.exec("cat /var/lib/penguinmails/installed/manifest.json")).stdout;
    expect(createHash("sha256").update(installed).digest("hex")).toBe(good.hash);
  }, APPLY_TIMEOUT_MS);
});
