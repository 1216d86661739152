import { parseCidr } from "../../baseline/cidr";
import { sshPort } from "../../baseline/network";
import type { HostService } from "../bundleFile";
import { hostLayout } from "../hostLayout";
import type { HostRenderContext } from "../renderContext";
import { tlsFileConsumers } from "../render/tlsFiles";
import { applyToolPackages, logFilesCreatedBeforeValidation, serviceOrder, serviceRuntimes, type ServiceRuntime } from "./serviceTable";
import { shellQuote } from "./shellQuote";

/**
 * One address per admin and deploy CIDR (its network address, which the block contains): the
 * staged ruleset must let each reach SSH before it goes live.
 */
export function sshProbeSources(ctx: HostRenderContext): string[] {
  return [...ctx.config.adminCidrs, ...ctx.config.deployCidrs].map((text) => {
    const parsed = parseCidr(text);
    if (!parsed.ok) throw new Error(`SSH source ${JSON.stringify(text)}: ${parsed.error}`);
    return parsed.cidr.network.split("/")[0]!;
  });
}

/** Unit separator: cannot appear in a check command or pattern, so it splits the check records. */
const FIELD = "\u001f";

/**
 * apply-settings.sh, sourced by apply.sh: the tenant, the host paths, and serviceRuntimes as bash
 * associative arrays. Generated, so the service map exists once (in serviceTable.ts).
 */
export function renderApplySettings(ctx: HostRenderContext): string {
  const table = (name: string, pick: (r: ServiceRuntime) => string) =>
    `declare -gA ${name}=(\n${serviceOrder.map((s) => `  [${s}]=${shellQuote(pick(serviceRuntimes[s]))}`).join("\n")}\n)`;
  const words = (list: readonly (string | number)[]) => list.join(" ");
  const checks = serviceOrder.flatMap((service: HostService) =>
    serviceRuntimes[service].checks.map((c) => `  ${shellQuote([service, c.command, c.failOutput ?? ""].join(FIELD))}`),
  );
  const probes = serviceOrder.flatMap((service: HostService) =>
    (serviceRuntimes[service].healthProbes ?? []).map((p) => `  ${shellQuote([service, p.name, p.command].join(FIELD))}`),
  );
  return [
    "# apply-settings.sh: generated from hostBundle/apply/serviceTable.ts and the tenant's",
    "# config; apply.sh sources it. Edit the TypeScript, not this file.",
    `TENANT_ID=${shellQuote(ctx.config.domain)}`,
    `MAIL_HOSTNAME=${shellQuote(ctx.mailHostname)}`,
    `MTA_STS_HOSTNAME=${shellQuote(ctx.mtaStsHostname)}`,
    `USER_AGENT=${shellQuote(`penguinmails-apply/${ctx.bundleVersion}`)}`,
    `STATE_DIR=${shellQuote(hostLayout.applyStateDir)}`,
    `STAGING_DIR=${shellQuote(hostLayout.bundleStagingDir)}`,
    `BACKUP_DIR=${shellQuote(hostLayout.bundleBackupDir)}`,
    `AUDIT_LOG=${shellQuote(hostLayout.auditLog)}`,
    `TLS_FULLCHAIN=${shellQuote(hostLayout.tls.fullchain)}`,
    `TLS_PRIVATE_KEY=${shellQuote(hostLayout.tls.privateKey)}`,
    `TLS_CONSUMERS=${shellQuote(words(tlsFileConsumers))}`,
    `SSH_PORT=${sshPort.port}`,
    `SSH_PROBE_SOURCES=${shellQuote(words(sshProbeSources(ctx)))}`,
    `LOG_FILES_BEFORE_VALIDATION=${shellQuote(words(logFilesCreatedBeforeValidation))}`,
    `TOOL_PACKAGES=${shellQuote(words(applyToolPackages))}`,
    `SERVICE_ORDER=${shellQuote(words(serviceOrder))}`,
    table("SERVICE_PACKAGES", (r) => words(r.packages)),
    table("SERVICE_UNITS", (r) => words(r.units)),
    table("SERVICE_ENABLE", (r) => words(r.enableUnits)),
    table("SERVICE_ACTIVATION", (r) => r.activation),
    "# one line of bash run after the units reload or restart",
    table("SERVICE_AFTER_ACTIVATION", (r) => r.afterActivation ?? ""),
    table("SERVICE_PORTS", (r) => words(r.ports)),
    "# port/starttls-protocol/server-name, the protocol empty for implicit TLS",
    table("SERVICE_TLS_PROBES", (r) => words(r.tlsProbes.map((p) => `${p.port}/${p.starttls ?? ""}/${p.serverName === "mail" ? ctx.mailHostname : ctx.mtaStsHostname}`))),
    table("SERVICE_LOG_UNITS", (r) => words(r.logUnits)),
    table("SERVICE_LOG_FILES", (r) => words(r.logFiles)),
    table("SERVICE_BAD_LOG", (r) => r.badLogLines ?? ""),
    table("SERVICE_EXPECTED_LOG", (r) => r.expectedLogLines ?? ""),
    "# name:uid:gid:home and path:mode:owner:group, space-separated",
    table("SERVICE_ACCOUNTS", (r) => words((r.accounts ?? []).map((a) => `${a.name}:${a.uid}:${a.gid}:${a.home}`))),
    table("SERVICE_DIRECTORIES", (r) => words((r.directories ?? []).map((d) => `${d.path}:${d.mode}:${d.owner}:${d.group}`))),
    "# service<US>command<US>failure pattern, in validation order",
    `CHECK_FIELD_SEPARATOR=$'\\x1f'`,
    `SERVICE_CHECKS=(\n${checks.join("\n")}\n)`,
    "# service<US>what it proves<US>command, run after activation",
    `SERVICE_HEALTH_PROBES=(\n${probes.join("\n")}\n)`,
    "",
  ].join("\n");
}
