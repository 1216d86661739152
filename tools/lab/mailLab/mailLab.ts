/**
 * The whole lab for one stack: the planned droplet booted (Debian 12 in a namespace, reached over
 * SSH as Pulumi reaches it), the planned DNS served and signed under a lab root, the certificate
 * issued by Pebble through the provider's issue code, the planned bundle applied with the
 * commands HostConfiguration runs, and the "internet" around it. `stop()` removes all of it.
 */

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { HostBundle } from "../../../hostBundle/format/hostBundle";
import { hostLayout } from "../../../hostBundle/hostLayout";
import { mailHostname, mtaStsHostname } from "../../../tenant/names";
import { startPebble, type PebbleServer } from "../acme";
import { ensureAcmeLabPackages } from "../acme/packages";
import { startDebianHost, type DebianHost } from "../debianHost";
import { registerExitCleanup } from "../debianHost/exitCleanup";
import { startLabDnsFor, type LabDns } from "../dns";
import { prepareUpload, uploadAndApply } from "../labApply";
import { internetAddresses } from "./internet/internetAddresses";
import { prepareInternetNamespace, type InternetNamespace } from "./internet/internetNamespace";
import { labResolverCacheMaxTtlSeconds, startLabResolver, type LabResolver } from "./internet/labResolver";
import { startRemoteMta, type RemoteMta } from "./internet/remoteMta";
import { bundleFromUpload, withFileContents } from "./labBundle";
import { issueLabCertificate, type LabCertificate } from "./labCertificate";
import { labConfig, type LabMailbox } from "./labConfig";
import { planForLab, stackTenantConfig, type LabPlan } from "./labPlan";
import { labTld, remoteDomainFor, remoteHosts, remoteZone, tenantZoneRecords } from "./labZones";
import { publishReverseDns } from "./reverseDns";
import { adaptBundleToLab } from "./labAdaptations";
import type { Progress } from "./progress";
import { applyWeakenings, type Weakening } from "./weakenings";

export interface MailLabOptions {
  readonly programDir: string;
  readonly stack: string;
  readonly weakenings: readonly Weakening[];
  /** A name for the run (the lab host's name): `lab-<random>` by default. */
  readonly name?: string;
}

export interface MailLab {
  readonly name: string;
  readonly runId: string;
  readonly plan: LabPlan;
  readonly labChanges: readonly string[];
  readonly mailboxes: readonly LabMailbox[];
  readonly host: DebianHost;
  readonly internet: InternetNamespace;
  readonly dns: LabDns;
  readonly resolver: LabResolver;
  readonly pebble: PebbleServer;
  readonly remoteMta: RemoteMta;
  readonly certificate: LabCertificate;
  /** The bundle as applied (planned, certificate replaced, weakenings applied). */
  readonly bundle: HostBundle;
  readonly applyMs: number;
  readonly domain: string;
  readonly mailHostname: string;
  readonly mtaStsHostname: string;
  readonly remoteDomain: string;
  /** The issuing root, as a file the internet's clients (curl, openssl, python) trust. */
  readonly caFile: string;
  /** Scratch files of the run: the CA file, the resolver's and the remote MTA's directories. */
  readonly workDir: string;
  /** Recipients each mailbox has submitted in this run: the per-account limit counts them. */
  readonly submittedRecipients: Map<string, number>;
  /** Log sizes and journal time when the checks began: what the log check reads from. */
  logMark?: LogMark;
  stop(): Promise<void>;
}

export interface LogMark {
  readonly sizes: Readonly<Record<string, number>>;
  readonly journalSince: string;
}

/** Cleanups in reverse order of creation; each runs once, whatever the others do. */
class Teardown {
  private readonly steps: { what: string; run: () => Promise<void> | void }[] = [];
  add(what: string, run: () => Promise<void> | void): void {
    this.steps.push({ what, run });
  }
  async run(): Promise<string[]> {
    const problems: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        problems.push(`${step.what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return problems;
  }
}

export async function startMailLab(options: MailLabOptions, progress: Progress): Promise<MailLab> {
  const teardown = new Teardown();
  const stop = async () => {
    const problems = await teardown.run();
    if (problems.length > 0) throw new Error(`the lab was not removed completely: ${problems.join("; ")}`);
  };
  try {
    return await build(options, progress, teardown, stop);
  } catch (error) {
    await teardown.run();
    throw error;
  }
}

async function build(options: MailLabOptions, progress: Progress, teardown: Teardown, stop: () => Promise<void>): Promise<MailLab> {
  const runId = randomBytes(4).toString("hex");
  const name = options.name ?? `lab-${runId}`;
  const { stackConfig, config: stackTenant } = stackTenantConfig(options.programDir, options.stack);
  const domain = stackTenant.domain;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "mail-lab-"));
  // The remote MTA's Postfix and Maildir users work below it.
  fs.chmodSync(workDir, 0o755);
  const unregisterWorkDir = registerExitCleanup(() => fs.rmSync(workDir, { recursive: true, force: true }));
  teardown.add("scratch directory", () => {
    fs.rmSync(workDir, { recursive: true, force: true });
    unregisterWorkDir();
  });

  const host = await progress.phase("host", `booting the planned droplet mail.${domain} (Debian 12, systemd-nspawn)`, async () => {
    ensureAcmeLabPackages();
    const started = await startDebianHost({ name, hostname: mailHostname(domain), log: (line) => progress.line(`  ${line}`) });
    teardown.add("lab host", () => started.stop());
    return started;
  });
  const addresses = internetAddresses(host.subnet);

  const { plan, lab } = await progress.phase("plan", `planning stack ${options.stack} under the mock runtime, with the lab's changes`, async () => {
    const lab = await labConfig(stackConfig, { adminUser: host.adminUser, adminAddress: host.runnerAddress, adminPublicKey: fs.readFileSync(`${host.sshPrivateKeyPath}.pub`, "utf8").trim() });
    const plan = await planForLab(options.programDir, options.stack, lab);
    for (const change of lab.changes) progress.line(`  lab change: ${change}`);
    progress.line(`  ${plan.resourceCount} resources, ${plan.dnsRecords.length} DNS records; planned droplet ${plan.plannedAddresses.v4} ${plan.plannedAddresses.v6} -> lab ${host.address.v4} ${host.address.v6}`);
    return { plan, lab };
  });

  const labChanges = [...lab.changes];
  const remoteDomain = remoteDomainFor(domain);
  const { internet, dns, resolver } = await progress.phase("dns", `the lab root, .${labTld(domain)}, ${domain} (planned records), ${remoteDomain} and PTR records, signed; a validating resolver`, async () => {
    const internet = await prepareInternetNamespace(host.namespaces.client, host.subnet, addresses);
    teardown.add("internet namespace files", () => internet.remove());
    const zones = [
      { name: domain, records: tenantZoneRecords(domain, plan.dnsRecords, plan.plannedAddresses, host.address) },
      remoteZone(remoteDomain, addresses.remoteMta, addresses.relayProber),
    ];
    const dns = await startLabDnsFor(host, zones, labTld(domain));
    teardown.add("lab DNS", () => dns.stop());
    await publishReverseDns(dns, [
      ...[host.address.v4, host.address.v6].map((address) => ({ address, name: plan.dropletName })),
      ...[addresses.remoteMta.v4, addresses.remoteMta.v6].map((address) => ({ address, name: `${remoteHosts.mta}.${remoteDomain}` })),
      ...[addresses.relayProber.v4, addresses.relayProber.v6].map((address) => ({ address, name: `${remoteHosts.relayProber}.${remoteDomain}` })),
    ]);
    const resolver = await startLabResolver(internet.name, addresses.resolver, host.subnet, dns, workDir);
    teardown.add("lab resolver", () => resolver.stop());
    return { internet, dns, resolver };
  });

  const { pebble, certificate, caFile, certificateWithOtherKey } = await progress.phase("certificate", `Pebble issues ${domain}'s certificate through AcmeCertificate's issue code (DNS-01 in the signed zone)`, async () => {
    const pebble = await startPebble({ dnsServer: `${resolver.address.v4}:53` });
    teardown.add("Pebble", () => pebble.stop());
    const certificate = await issueLabCertificate(plan.certificateInputs, pebble, dns, domain);
    const caFile = path.join(workDir, "lab-root.pem");
    fs.writeFileSync(caFile, certificate.rootPem);
    progress.line(`  serial ${certificate.serial}, valid until ${certificate.notAfter}`);
    if (!options.weakenings.some((w) => w.needsCertificateWithOtherKey)) return { pebble, certificate, caFile };
    // The second order's challenges reuse the first's names: the resolver Pebble asks must have
    // forgotten the first order's answers.
    await new Promise((resolve) => setTimeout(resolve, (labResolverCacheMaxTtlSeconds + 1) * 1000));
    const other = await issueLabCertificate({ ...plan.certificateInputs, privateKeyPem: undefined }, pebble, dns, domain);
    progress.line(`  a second certificate for a weakening, fresh key: serial ${other.serial}`);
    return { pebble, certificate, caFile, certificateWithOtherKey: other };
  });

  const [appliedBundle, remoteMta] = await progress.phase("apply", "the remote MTA starts; the bundle is uploaded and applied as HostConfiguration does", async () => {
    const remote = startRemoteMta({ namespace: internet.name, domain: remoteDomain, address: addresses.remoteMta, relayClients: [addresses.sender], trustedCaPem: certificate.rootPem, parentDir: workDir }).then((mta) => {
      teardown.add("remote MTA", () => mta.stop());
      return mta;
    });
    try {
      return [await applyPlannedBundle(), await remote] as const;
    } catch (error) {
      // Settled before the teardown runs, so a remote MTA that starts late is still stopped.
      await remote.catch(() => undefined);
      throw error;
    }
  });

  async function applyPlannedBundle(): Promise<{ bundle: HostBundle; applyMs: number }> {
    const planned = await bundleFromUpload(plan.uploadText);
    const withCertificate = withFileContents(planned, new Map([
      [hostLayout.tls.fullchain, certificate.fullchainPem],
      [hostLayout.tls.privateKey, certificate.privateKeyPem],
    ]));
    const adapted = adaptBundleToLab(withCertificate, host.subnet);
    for (const change of adapted.changes) progress.line(`  lab change: ${change}`);
    labChanges.push(...adapted.changes);
    const bundle = applyWeakenings(adapted.bundle, options.weakenings, { certificateWithOtherKey });
    for (const w of options.weakenings) progress.line(`  WEAKENED on purpose: ${w.name}: ${w.description}`);
    await prepareUpload(host);
    const applied = await uploadAndApply(host, bundle);
    if (applied.code !== 0) {
      const output = (applied.stdout + applied.stderr).trim().split("\n").slice(-25).map((line) => (line.length > 300 ? `${line.slice(0, 299)}…` : line));
      throw new Error(`the apply exited ${applied.code}:\n${output.join("\n")}`);
    }
    progress.line(`  bundle ${bundle.hash.slice(0, 12)} applied in ${(applied.ms / 1000).toFixed(1)} s`);
    return { bundle, applyMs: applied.ms };
  }

  return {
    name,
    runId,
    plan,
    labChanges,
    mailboxes: lab.mailboxes,
    host,
    internet,
    dns,
    resolver,
    pebble,
    remoteMta,
    certificate,
    bundle: appliedBundle.bundle,
    applyMs: appliedBundle.applyMs,
    domain,
    mailHostname: mailHostname(domain),
    mtaStsHostname: mtaStsHostname(domain),
    remoteDomain,
    caFile,
    workDir,
    submittedRecipients: new Map(),
    stop,
  };
}
