/**
 * The changes a reviewer must not miss, because they mean downtime, lost mail or a DNS change that
 * has to be staged: a replaced or deleted droplet, a DKIM key replaced or withdrawn, the
 * certificate's key changing, the zone's DNSSEC replaced or turned off, the ACME account or
 * Pulumi's deploy key replaced.
 */

import { describeUrn } from "../policy/render";
import type { PropertyChange, ResourceChange } from "./compareResources";

export interface LoudChange {
  readonly urn: string;
  /** One line, what happens. */
  readonly title: string;
  /** Why it hurts, and what to do instead or first. */
  readonly detail: string;
}

const types = {
  droplet: "digitalocean:index/droplet:Droplet",
  privateKey: "tls:index/privateKey:PrivateKey",
  certificate: "pulumi-nodejs:dynamic/certificate:AcmeCertificate",
  certificateKeys: "pulumi-nodejs:dynamic/certificate:CertificateKeySet",
  acmeAccount: "pulumi-nodejs:dynamic/certificate:AcmeAccount",
  zoneDnssec: "cloudflare:index/zoneDnssec:ZoneDnssec",
} as const;

/** The parent component types in a URN (`...::Parent$Child$type::name`). */
function ancestorTypes(urn: string): string[] {
  return (urn.split("::")[2] ?? "").split("$").slice(0, -1);
}

function reasons(change: ResourceChange): string {
  const forcing = change.properties.filter((p) => p.replaces).map(describeProperty);
  return forcing.length > 0 ? ` (${forcing.join("; ")})` : "";
}

function describeProperty(property: PropertyChange): string {
  if (property.unknownUntil) return `${property.property} from the replaced ${property.unknownUntil}`;
  if (property.secret) return `${property.property} [secret]`;
  const show = (value: unknown) => (typeof value === "string" && value.length <= 60 ? JSON.stringify(value) : undefined);
  const before = show(property.before);
  const after = show(property.after);
  return before !== undefined && after !== undefined ? `${property.property} ${before} -> ${after}` : property.property;
}

function touches(change: ResourceChange, properties: readonly string[]): boolean {
  return change.properties.some((p) => properties.includes(p.property));
}

function dkimSelector(change: ResourceChange, parentName: string | undefined): string {
  return parentName && change.name.startsWith(`${parentName}-`) ? change.name.slice(parentName.length + 1) : change.name;
}

/** The loud ones among a stack's changes; `parents` maps a resource URN to its parent's URN. */
export function loudChanges(changes: readonly ResourceChange[], parents: ReadonlyMap<string, string | undefined>): LoudChange[] {
  const loud: LoudChange[] = [];
  const add = (change: ResourceChange, title: string, detail: string) => loud.push({ urn: change.urn, title, detail });
  for (const change of changes) {
    const { type, kind } = change;
    if (type === types.droplet && (kind === "replace" || kind === "delete")) {
      add(
        change,
        kind === "replace" ? `The mail server's droplet is REPLACED${reasons(change)}` : "The mail server's droplet is DELETED",
        "The droplet is destroyed with its mail queue and mailboxes; a new one gets new IPv4 and IPv6 addresses, so its sending reputation and PTR start over and every record naming it moves. Migrate the mail first, or keep the droplet.",
      );
    } else if (type === types.privateKey && ancestorTypes(change.urn).includes("penguinmails:mail:DkimKeys") && (kind === "replace" || kind === "delete")) {
      const parent = parents.get(change.urn);
      const selector = dkimSelector(change, parent ? describeUrn(parent).name : undefined);
      add(
        change,
        kind === "replace" ? `The DKIM key of selector ${selector} is REPLACED${reasons(change)}` : `The DKIM key of selector ${selector} is DELETED, and its record withdrawn`,
        kind === "replace"
          ? "Mail signed with the old key and still in transit fails DKIM once the record holds the new key. Rotate by publishing a new selector, signing with it, and removing the old one later."
          : "Mail signed with this selector in recent days fails DKIM (and DMARC, where SPF does not align) once its record is gone. Withdraw a selector only after it has signed nothing for a while.",
      );
    } else if ((type === types.certificate && (kind === "replace" || touches(change, ["privateKeyPem", "keyType", "reissue"]))) || (type === types.certificateKeys && kind !== "create")) {
      add(
        change,
        `The certificate's key CHANGES${reasons(change)}`,
        "Clients pinning the key through DANE (TLSA 3 1 1 on _25._tcp.mail) reject the new one unless its TLSA record is published, and has outlived its TTL, before the host serves it.",
      );
    } else if (((type === types.privateKey && change.name.endsWith("-acme-account")) || type === types.acmeAccount) && (kind === "replace" || kind === "delete")) {
      add(
        change,
        `The ACME account is ${kind === "replace" ? "REPLACED" : "DELETED"}${reasons(change)}`,
        "A CAA record bound to the account (accounturi) refuses orders from a new one until it names it; the next certificate order or renewal fails until then.",
      );
    } else if (type === types.zoneDnssec && (kind === "replace" || kind === "delete" || touches(change, ["status"]))) {
      add(
        change,
        `The zone's DNSSEC ${kind === "update" ? "CHANGES" : kind === "replace" ? "is REPLACED" : "is DELETED"}${reasons(change)}`,
        "The DS record at the registrar names the zone's current key: with signing replaced or turned off while it stays, validating resolvers fail the whole domain. Change the DS at the registrar in step with it.",
      );
    } else if (type === types.privateKey && change.name.endsWith("-deploy-key") && kind === "replace") {
      add(
        change,
        `Pulumi's deploy key is REPLACED${reasons(change)}`,
        "The host admits only the keys its last applied bundle lists, and this bundle is applied over SSH with the new key, which the host does not know yet: the apply cannot log in. Rotate it in two steps (a bundle listing both keys, applied with the old one, then the switch).",
      );
    }
  }
  return loud;
}
