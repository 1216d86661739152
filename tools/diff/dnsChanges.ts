/**
 * The tenant's DNS records on each side as zone-file lines (name, TTL, type, data), and the
 * unified diff between them: what resolvers will answer differently. A value computed from a
 * replaced resource (the new droplet's addresses) is shown as unknown, as it is until the
 * replacement exists.
 */

import { unwrapSecrets } from "../mockRuntime/secrets";
import type { ResourceChange } from "./compareResources";
import type { SnapshotResource } from "./stackSnapshot";
import { unifiedDiff } from "./unifiedDiff";

const dnsRecordType = "cloudflare:index/dnsRecord:DnsRecord";

export interface DnsChanges {
  readonly before: readonly string[];
  readonly after: readonly string[];
  /** Unified diff of the two zones; undefined when they are equal. */
  readonly diff?: string;
}

type Inputs = Record<string, unknown>;

function recordData(inputs: Inputs): string {
  const data = inputs.data as { flags?: unknown; tag?: unknown; value?: unknown } | undefined;
  if (inputs.type === "CAA" && data) return `${String(data.flags)} ${String(data.tag)} "${String(data.value)}"`;
  if (inputs.priority !== undefined) return `${String(inputs.priority)} ${String(inputs.content)}`;
  return String(inputs.content);
}

/** `mail.tenant.example. 3600 IN A 192.0.2.148`. */
export function zoneLine(inputs: Inputs): string {
  const proxied = inputs.proxied === true ? " ; proxied by Cloudflare" : "";
  return `${String(inputs.name)}. ${String(inputs.ttl ?? "auto")} IN ${String(inputs.type)} ${recordData(inputs)}${proxied}`;
}

function zone(resources: readonly SnapshotResource[], unknown: ReadonlyMap<string, ResourceChange>): string[] {
  return resources
    .filter((r) => r.type === dnsRecordType)
    .map((r) => {
      const inputs = { ...(unwrapSecrets(r.inputs) as Inputs) };
      for (const property of unknown.get(r.urn)?.properties ?? []) {
        if (property.unknownUntil) inputs[property.property] = `(known after ${property.unknownUntil} is replaced)`;
      }
      return zoneLine(inputs);
    })
    .sort();
}

export function compareDns(base: readonly SnapshotResource[], head: readonly SnapshotResource[], changes: readonly ResourceChange[]): DnsChanges {
  const byUrn = new Map(changes.map((c) => [c.urn, c]));
  const before = zone(base, new Map());
  const after = zone(head, byUrn);
  const text = (lines: readonly string[]) => (lines.length > 0 ? `${lines.join("\n")}\n` : "");
  return { before, after, ...(text(before) === text(after) ? {} : { diff: unifiedDiff("base zone", "head zone", text(before), text(after)) }) };
}
