/**
 * What an offline diff records: each change it finds, named for what it does to the tenant
 * (a droplet provisioned or replaced, a DNS record changed, a certificate renewed), and each
 * policy violation the change brings or resolves. The events describe a planned change, tagged
 * `planned`: `pulumi up` has not run.
 */

import type { ChangeKind, ResourceChange } from "../diff/compareResources";
import type { StackOutcome } from "../diff/diffStacks";
import type { AuditEventInput, AuditSeverity } from "./auditEvent";
import { policyViolationEvent } from "./policyEvents";

const diffTags = ["diff", "planned", "offline"] as const;

type Naming = { readonly resource: string; readonly eventType: (kind: ChangeKind, change: ResourceChange) => string };

const byKind = (noun: string, verbs: Readonly<Record<ChangeKind, string>>): Naming["eventType"] => (kind) => `infrastructure.${noun}.${verbs[kind]}`;
const changed = (noun: string): Naming["eventType"] => () => `infrastructure.${noun}.changed`;
const keyVerbs = { create: "created", update: "updated", replace: "replaced", delete: "deleted" } as const;

/** Event names by resource type; DKIM keys by their parent component. */
function naming(change: ResourceChange): Naming {
  switch (change.type) {
    case "digitalocean:index/droplet:Droplet":
      return { resource: "vps", eventType: byKind("vps", { create: "provisioned", update: "updated", replace: "replaced", delete: "deleted" }) };
    case "cloudflare:index/dnsRecord:DnsRecord":
      return { resource: "dns-record", eventType: changed("dns") };
    case "cloudflare:index/zoneSetting:ZoneSetting":
      return { resource: "dns-zone-setting", eventType: changed("dns") };
    case "digitalocean:index/firewall:Firewall":
      return { resource: "firewall", eventType: changed("firewall") };
    case "digitalocean:index/sshKey:SshKey":
      return { resource: "ssh-key", eventType: changed("ssh_key") };
    case "pulumi-nodejs:dynamic/certificate:AcmeCertificate":
      return {
        resource: "certificate",
        eventType: (kind, c) =>
          kind === "create" ? "infrastructure.certificate.issued"
          : kind === "delete" ? "infrastructure.certificate.revoked"
          : kind === "replace" ? "infrastructure.certificate.replaced"
          : c.properties.some((p) => p.property === "reissue" && String(p.after).startsWith("renewal")) ? "infrastructure.certificate.renewed"
          : "infrastructure.certificate.updated",
      };
    case "pulumi-nodejs:dynamic/certificate:CertificateKeySet":
      return { resource: "certificate-keys", eventType: byKind("certificate", { create: "keys_created", update: "key_rotated", replace: "keys_replaced", delete: "keys_deleted" }) };
    case "pulumi-nodejs:dynamic/certificate:AcmeAccount":
      return { resource: "acme-account", eventType: byKind("acme_account", keyVerbs) };
    case "tls:index/privateKey:PrivateKey":
      return change.urn.includes("penguinmails:mail:DkimKeys$") ? { resource: "dkim-key", eventType: byKind("dkim_key", keyVerbs) } : { resource: "key", eventType: byKind("key", keyVerbs) };
    case "command:remote:Command":
    case "command:remote:CopyToRemote":
      return { resource: "host-config", eventType: changed("config") };
    default:
      return { resource: change.type, eventType: byKind("resource", keyVerbs) };
  }
}

function changeEvent(stack: string, change: ResourceChange, loudUrns: ReadonlySet<string>): AuditEventInput {
  const { resource, eventType } = naming(change);
  const severity: AuditSeverity = loudUrns.has(change.urn) ? "critical" : change.kind === "replace" || change.kind === "delete" ? "warning" : "info";
  const shown = change.properties.filter((p) => !p.secret);
  return {
    tenantId: stack,
    eventType: eventType(change.kind, change),
    action: change.kind,
    resource,
    resourceId: change.urn,
    severity,
    tags: [...diffTags, change.kind, change.name],
    ...(change.kind === "update" || change.kind === "replace"
      ? {
          changeset: {
            before: Object.fromEntries(shown.map((p) => [p.property, p.before ?? null])),
            after: Object.fromEntries(shown.map((p) => [p.property, p.unknownUntil ? `(known after ${p.unknownUntil} is replaced)` : (p.after ?? null)])),
          },
        }
      : {}),
  };
}

/** The events of one stack's diff outcome (an unchanged stack has none). */
export function diffOutcomeEvents(outcome: StackOutcome): AuditEventInput[] {
  if (outcome.kind === "skipped") return [];
  if (outcome.kind === "error") {
    return [{ tenantId: outcome.stack, eventType: "infrastructure.stack.diff_failed", action: "view", resource: "stack", resourceId: outcome.stack, severity: "warning", tags: [...diffTags, outcome.side] }];
  }
  const { diff } = outcome;
  const loudUrns = new Set(diff.loud.map((l) => l.urn));
  return [
    ...diff.resources.filter((c) => c.custom).map((c) => changeEvent(diff.stack, c, loudUrns)),
    ...diff.policy.introduced.map((d) => policyViolationEvent(diff.stack, d, [...diffTags, "introduced"])),
    ...diff.policy.resolved.map((d) => ({ ...policyViolationEvent(diff.stack, d, [...diffTags, "resolved"]), eventType: "infrastructure.policy.resolved", severity: "info" as const })),
  ];
}
