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

// A cold rootfs build with the host's packages takes minutes; later runs reuse it.
const BOOT_TIMEOUT_MS = 15 * 60_000;
const APPLY_TIMEOUT_MS = 5 * 60_000;

let host: DebianHost;
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

/** A TLS handshake from this side of the lab link, as a client on the internet would make it. */
async function handshake(port: number) {
  const service = checkedServices.find((s) => s.port === port)!;
  // nginx answers only for the MTA-STS name; the mail listeners carry the mail host's.
  const name = port === 443 ? labContextFor().mtaStsHostname : host.hostname;
  return probe({ host: name, address: host.address.v4, service, timeoutMs: 10_000 });
}

beforeAll(async () => {
  host = await startDebianHost();
  await prepareUpload(host);
  good = buildHostBundle(labContextFor(), { dkimPrivateKeyPems: labDkimKeys(labContextFor(), testRsaKeyPem()) });
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await host?.stop();
}, 60_000);

describe("the apply script on a booted Debian 12", () => {
  it("brings a fresh system to a working mail server", async () => {
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
    for (const unit of ["unbound.service", "opendkim.service", "postfwd.service", "ssh.service", "fail2ban.service"]) expect(statesAfter[unit], unit).toBe(statesBefore[unit]);

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
    const elsewhere = buildHostBundle(labContextFor({ adminCidrs: ["203.0.113.0/28"] }), { dkimPrivateKeyPems: labDkimKeys(labContextFor(), testRsaKeyPem()) });
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
