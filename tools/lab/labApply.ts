import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseTenantConfig } from "../../tenant/parseTenantConfig";
import { formatConfigProblems } from "../../tenant/tenantConfig";
import { tenantMtaStsPolicy } from "../../tenant/mtaStsPolicy";
import { applyCommand, prepareUploadCommand, uploadPath } from "../../hostBundle/apply/remoteCommands";
import { serviceOrder, serviceRuntimes } from "../../hostBundle/apply/serviceTable";
import type { HostBundle } from "../../hostBundle/format/hostBundle";
import { packHostBundle } from "../../hostBundle/format/hostBundleArchive";
import { hostLayout } from "../../hostBundle/hostLayout";
import { hostRenderContext, type HostRenderContext } from "../../hostBundle/renderContext";
import type { CommandResult, DebianHost } from "./debianHost";
import type { HostTransport } from "./pinnedSsh";
import { configNamespace } from "../../tenant/tenantConfig";
import { namespaceConfig, readStackConfig } from "../mockRuntime/stackConfig";

/**
 * The lab tenant: the example stack's settings under the lab host's own name (mail.lab.example),
 * SSH open to this process's side of the lab link, which is where ssh/scp (and Pulumi) come from.
 */
export function labContext(host: DebianHost, overrides: Record<string, unknown> = {}): HostRenderContext {
  const domain = host.hostname.replace(/^mail\./, "");
  const example = namespaceConfig(readStackConfig(path.resolve(__dirname, "../.."), "dev"), configNamespace);
  // Every address the example names in its domain (mailboxes, aliases, report addresses) must be
  // in the tenant's domain: they move to the lab's with it.
  const moved = JSON.parse(JSON.stringify(example).split(`@${String(example.domain)}`).join(`@${domain}`)) as Record<string, unknown>;
  const result = parseTenantConfig({
    ...moved,
    // The example's deploy range lies in the lab's own address ranges; the lab deploys from its link.
    deployCidrs: [],
    domain,
    alertEmail: `ops@${domain}`,
    // The account the lab's SSH key logs in as, as Pulumi would use config.adminUser.
    adminUser: host.adminUser,
    adminCidrs: [`${host.runnerAddress.v4}/32`, `${host.runnerAddress.v6}/128`],
    ...overrides,
  });
  if (!result.ok) throw new Error(formatConfigProblems(result.problems));
  // The run's key is the lab's deploy key, as Pulumi's is the stack's: the bundle authorizes it.
  return hostRenderContext(result.config, "0.1.0-lab", tenantMtaStsPolicy(result.config), [labDeployPublicKey(host)]);
}

/** The public half of the run's key, which ssh, scp and the applies log in with. */
export function labDeployPublicKey(host: DebianHost): string {
  return fs.readFileSync(`${host.sshPrivateKeyPath}.pub`, "utf8").trim();
}

/** One test key for every selector the lab tenant publishes. */
export function labDkimKeys(ctx: HostRenderContext, privateKeyPem: string): Record<string, string> {
  return Object.fromEntries(ctx.config.dkim.selectors.map((selector) => [selector, privateKeyPem]));
}

export interface ApplyRun extends CommandResult {
  readonly ms: number;
}

/** HostConfiguration's first step, once per host: the private upload directory. */
export async function prepareUpload(host: DebianHost): Promise<void> {
  const prepared = await host.ssh(prepareUploadCommand);
  if (prepared.code !== 0) throw new Error(`preparing the upload directory failed: ${prepared.stderr}`);
}

/**
 * What Pulumi does for a bundle, step for step: the packed bundle copied over SSH, then the
 * apply command, both as the admin user with the run's key (after prepareUpload); over
 * pinnedTransport (pinnedSsh.ts) only to a host presenting the pinned key, as the stack connects.
 */
export async function uploadAndApply(host: DebianHost, bundle: HostBundle, transport: HostTransport = host): Promise<ApplyRun> {
  const started = Date.now();
  const local = fs.mkdtempSync(path.join(os.tmpdir(), "pm-upload-"));
  try {
    const file = path.join(local, "host-bundle.sh");
    fs.writeFileSync(file, await packHostBundle(bundle), { mode: 0o600 });
    await transport.copyTo(file, uploadPath);
    const result = await transport.ssh(applyCommand(bundle.hash), { timeoutMs: 300_000 });
    return { ...result, ms: Date.now() - started };
  } finally {
    fs.rmSync(local, { recursive: true, force: true });
  }
}

export interface AuditEvent {
  readonly id: string;
  readonly tenantId: string;
  readonly timestamp: string;
  readonly eventType: string;
  readonly eventCategory: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceId?: string;
  readonly ipAddress: string;
  readonly userAgent: string;
  readonly requestId: string;
  readonly severity: "info" | "warning" | "critical";
  readonly tags: string[];
  readonly changeset?: { before: Record<string, string | null>; after: Record<string, string | null> };
}

export async function auditEvents(host: DebianHost): Promise<AuditEvent[]> {
  const result = await host.exec(`cat ${hostLayout.auditLog} 2>/dev/null || true`);
  return result.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as AuditEvent);
}

/** Every unit the service table manages, with what changes when it restarts. */
export async function unitStates(host: DebianHost): Promise<Record<string, string>> {
  const units = serviceOrder.flatMap((s) => serviceRuntimes[s].units);
  const result = await host.exec(`systemctl show -p Id,ActiveState,ActiveEnterTimestamp,MainPID,ExecMainStartTimestamp ${units.join(" ")}`);
  const states: Record<string, string> = {};
  for (const block of result.stdout.trim().split("\n\n")) {
    const fields = Object.fromEntries(block.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    states[fields.Id!] = `${fields.ActiveState} pid=${fields.MainPID} since ${fields.ActiveEnterTimestamp} started ${fields.ExecMainStartTimestamp}`;
  }
  return states;
}

/** The service events (reloads, restarts, starts) an apply wrote: what the bench and the tests count. */
export function serviceEvents(events: readonly AuditEvent[]): AuditEvent[] {
  return events.filter((e) => e.eventType.startsWith("infrastructure.service."));
}
