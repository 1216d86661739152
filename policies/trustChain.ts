/**
 * Policies for the trust chain around the mail host: DANE (TLSA records in a DNSSEC-signed zone,
 * naming keys the stack's certificate key set holds), CAA bound to the stack's ACME account, and
 * a pinned host key on every SSH connection Pulumi makes.
 */

import type { PolicyResource } from "@pulumi/policy";
import { parseCaaIssueValue } from "../baseline/dns/caa";
import { parseTlsaRecord, validateTlsaRecord, type TlsaRecord } from "../baseline/dns/tlsa";
import { parseSshPublicKey } from "../baseline/sshPublicKey";
import { asArray, describeResource, PreviewUnknowns, quote, validateTypes, type MailPolicy, type MailResourcePolicy, type MailStackPolicy } from "./common";
import { dnsRecordTypes, normalizeRecordName, type DnsRecordProps } from "./dns";

export const zoneDnssecType = "cloudflare:index/zoneDnssec:ZoneDnssec";
/** Any module's CertificateKeySet and AcmeAccount dynamic resources. */
export const certificateKeySetTypePattern = /^pulumi-nodejs:dynamic(?:\/[^:]+)?:CertificateKeySet$/;
export const acmeAccountTypePattern = /^pulumi-nodejs:dynamic(?:\/[^:]+)?:AcmeAccount$/;
export const remoteCommandTypes: readonly string[] = ["command:remote:Command", "command:remote:CopyToRemote"];

interface TlsaAt {
  readonly resource: PolicyResource;
  readonly zoneId: string;
  readonly name: string;
  readonly record?: TlsaRecord;
  readonly problem?: string;
}

/** The stack's TLSA records, read from Cloudflare's `data` or from `content`; unknown parts recorded. */
function tlsaRecords(resources: readonly PolicyResource[], unknowns: PreviewUnknowns): TlsaAt[] {
  const found: TlsaAt[] = [];
  for (const resource of resources) {
    if (!dnsRecordTypes.includes(resource.type)) continue;
    unknowns.attempt(() => {
      const props = resource.props as DnsRecordProps & { data?: { usage?: unknown; selector?: unknown; matchingType?: unknown; certificate?: unknown } };
      if (String(props.type ?? "").toUpperCase() !== "TLSA") return;
      const at = { resource, zoneId: String(props.zoneId ?? ""), name: normalizeRecordName(props.name) };
      const data = props.data;
      if (data !== undefined && data.certificate !== undefined) {
        const record = { usage: Number(data.usage), selector: Number(data.selector), matchingType: Number(data.matchingType), certificate: String(data.certificate).toLowerCase() };
        found.push({ ...at, record });
        return;
      }
      const content = props.content ?? props.value;
      try {
        found.push({ ...at, record: parseTlsaRecord(String(content)) });
      } catch (error) {
        found.push({ ...at, problem: (error as Error).message });
      }
    });
  }
  return found;
}

export const dnssecForTlsa: MailStackPolicy = {
  name: "dnssec-for-tlsa",
  description: "A zone that publishes TLSA records is signed: the stack enables DNSSEC on it (Cloudflare ZoneDnssec, status active).",
  enforcementLevel: "mandatory",
  rationale:
    "DANE clients use TLSA records only from a DNSSEC-validated answer (RFC 7672 section 2.2); in an unsigned zone they are ignored and " +
    "mail to the tenant can be downgraded by anyone on the path. Signing is not enough alone: the DS must also be at the registrar, " +
    "which `npm run check -- dnssec <domain>` verifies.",
  remediationSteps: 'Add a cloudflare.ZoneDnssec for the zone with status "active", and publish its DS record at the registrar.',
  validateStack: (args, reportViolation) => {
    const unknowns = new PreviewUnknowns();
    const signed = new Set<string>();
    for (const resource of args.resources) {
      if (resource.type !== zoneDnssecType) continue;
      unknowns.attempt(() => {
        const props = resource.props as { zoneId?: string; status?: string };
        if ((props.status ?? "active") === "active") signed.add(String(props.zoneId));
      });
    }
    const reported = new Set<string>();
    for (const tlsa of tlsaRecords(args.resources, unknowns)) {
      if (signed.has(tlsa.zoneId) || reported.has(tlsa.zoneId)) continue;
      reported.add(tlsa.zoneId);
      reportViolation(
        `zone ${quote(tlsa.zoneId)} publishes TLSA (${describeResource(tlsa.resource)}) but has no active DNSSEC; validators ignore its TLSA records. ` +
          'Fix: add a cloudflare.ZoneDnssec with status "active" for the zone and publish its DS at the registrar.',
        tlsa.resource.urn,
      );
    }
    unknowns.finish();
  },
};

interface KeySetKeys {
  readonly resource: PolicyResource;
  readonly all: readonly string[];
  readonly current: string;
  readonly next: string;
}

export const tlsaMatchesCertificateKeys: MailStackPolicy = {
  name: "tlsa-matches-certificate-keys",
  description:
    "TLSA records are DANE-EE SPKI SHA-256 (3 1 1) and each names a key the stack's certificate key set holds (current, next or retired); " +
    "the current and the next key are both published.",
  enforcementLevel: "mandatory",
  rationale:
    "A TLSA record for a key the host never serves is useless, and a served key without a record fails DANE: sending MTAs that validate " +
    "defer the mail (RFC 7672 section 2.2). The next key is published before it is used, so a rollover never breaks DANE " +
    "(RFC 7671 section 8.1). 3 1 1 survives renewals for the same key; other usages are ignored by SMTP clients (RFC 7672 3.1.3).",
  remediationSteps:
    "Publish one `3 1 1` TLSA record per CertificateKeySet slot, from its publicKeySha256s, at _25._tcp.<mail host>, and nothing else there.",
  validateStack: (args, reportViolation) => {
    const unknowns = new PreviewUnknowns();
    const keySets: KeySetKeys[] = [];
    for (const resource of args.resources) {
      if (!certificateKeySetTypePattern.test(resource.type)) continue;
      unknowns.attempt(() => {
        const props = resource.props as { publicKeySha256s?: unknown; currentPublicKeySha256?: unknown; nextPublicKeySha256?: unknown };
        // A key set that is still to be created has no keys yet (its records are unknown then too).
        if (typeof props.currentPublicKeySha256 !== "string" || typeof props.nextPublicKeySha256 !== "string") return;
        keySets.push({
          resource,
          all: asArray(props.publicKeySha256s).map((h) => String(h).toLowerCase()),
          current: String(props.currentPublicKeySha256).toLowerCase(),
          next: String(props.nextPublicKeySha256).toLowerCase(),
        });
      });
    }
    const records = tlsaRecords(args.resources, unknowns);
    const held = new Set(keySets.flatMap((k) => k.all));
    for (const tlsa of records) {
      const problems = tlsa.record ? validateTlsaRecord(tlsa.record) : [tlsa.problem!];
      if (problems.length > 0) {
        reportViolation(`${describeResource(tlsa.resource)} at ${quote(tlsa.name)}: ${problems.join("; ")}. Fix: publish 3 1 1 with the SHA-256 of the key's SubjectPublicKeyInfo.`, tlsa.resource.urn);
      } else if (keySets.length > 0 && !held.has(tlsa.record!.certificate)) {
        reportViolation(
          `${describeResource(tlsa.resource)} at ${quote(tlsa.name)} names a key no certificate key set of the stack holds (${tlsa.record!.certificate.slice(0, 16)}...). ` +
            "Fix: publish the key set's publicKeySha256s, one record per slot, and remove records for other keys.",
          tlsa.resource.urn,
        );
      }
    }
    const published = new Set(records.flatMap((r) => (r.record ? [r.record.certificate] : [])));
    for (const keys of keySets) {
      for (const [role, sha] of [["current", keys.current], ["next", keys.next]] as const) {
        if (published.has(sha)) continue;
        reportViolation(
          `the ${role} key of ${describeResource(keys.resource)} has no TLSA record; ${role === "current" ? "DANE-validating senders cannot deliver to the host" : "a rollover would serve a key no TLSA record names"}. ` +
            "Fix: publish a 3 1 1 TLSA record for every key set slot.",
          keys.resource.urn,
        );
      }
    }
    unknowns.finish();
  },
};

export const caaAccountBinding: MailStackPolicy = {
  name: "caa-account-binding",
  description: "CAA issue records that name a CA bind issuance to an ACME account (RFC 8657 accounturi), the stack's own AcmeAccount when it has one.",
  enforcementLevel: "mandatory",
  rationale:
    "Without accounturi any account at the named CA may obtain a certificate for the domain, for instance after hijacking a DNS-01 or " +
    "HTTP-01 validation; with it only our account can (RFC 8657 section 3). Naming another account than the stack's own would stop our renewals.",
  remediationSteps: "Set accounturi=<AcmeAccount.accountUri> (and validationmethods=dns-01) in the CAA issue record.",
  validateStack: (args, reportViolation) => {
    const unknowns = new PreviewUnknowns();
    const accounts = new Set<string>();
    for (const resource of args.resources) {
      if (!acmeAccountTypePattern.test(resource.type)) continue;
      unknowns.attempt(() => {
        const uri = (resource.props as { accountUri?: unknown }).accountUri;
        if (typeof uri === "string") accounts.add(uri);
      });
    }
    for (const resource of args.resources) {
      if (!dnsRecordTypes.includes(resource.type)) continue;
      unknowns.attempt(() => {
        const props = resource.props as DnsRecordProps;
        if (String(props.type ?? "").toUpperCase() !== "CAA" || String(props.data?.tag ?? "").toLowerCase() !== "issue") return;
        const parsed = parseCaaIssueValue(String(props.data?.value ?? ""));
        // `issue ";"` lets no CA issue at all: nothing to bind.
        if ("problem" in parsed || parsed.issuer === undefined) return;
        const accountUri = parsed.parameters.get("accounturi");
        const label = `${describeResource(resource)} (CAA issue ${quote(parsed.issuer)})`;
        if (accountUri === undefined) {
          reportViolation(`${label} has no accounturi: any account at ${parsed.issuer} may issue. Fix: add accounturi=<the stack's ACME account URL>.`, resource.urn);
        } else if (accounts.size > 0 && !accounts.has(accountUri)) {
          reportViolation(`${label} binds ${quote(accountUri)}, not the stack's ACME account (${[...accounts].join(", ")}). Fix: use the AcmeAccount's accountUri.`, resource.urn);
        }
      });
    }
    unknowns.finish();
  },
};

/** What command:remote's connection needs: an authorized_keys line the host offers as its host key algorithm. */
function hostKeyProblem(hostKey: unknown): string | undefined {
  if (hostKey === undefined || hostKey === null || hostKey === "") return "has no hostKey, so the provider accepts whatever key the host presents";
  const parsed = parseSshPublicKey(String(hostKey));
  if (!parsed.ok) return `hostKey ${parsed.error}`;
  // The provider offers the pinned key's type as its only host key algorithm; `ssh-rsa` there means
  // SHA-1 signatures, which OpenSSH 8.8 and later (and our sshd hardening) refuse.
  if (parsed.key.type === "ssh-rsa") return "hostKey is an RSA key: the provider would ask for ssh-rsa (SHA-1) signatures, which the host refuses; pin the ed25519 host key";
  return undefined;
}

export const remoteCommandHostKey: MailResourcePolicy = {
  name: "remote-command-host-key",
  description: "Every command:remote Command and CopyToRemote connection (and its proxy) pins the host's SSH key (connection.hostKey).",
  enforcementLevel: "mandatory",
  rationale:
    "Without hostKey the command provider accepts any host key (ssh.InsecureIgnoreHostKey): a man in the middle on the deploy path " +
    "would receive the host bundle, DKIM and TLS private keys included, and could run commands as the admin. HostKeyPin records the " +
    "droplet's key on first use.",
  remediationSteps: "Set connection.hostKey to HostKeyPin's hostKey (`ssh-ed25519 <base64>`), and proxy.hostKey for a proxy.",
  validateResource: validateTypes<{ connection?: { hostKey?: unknown; proxy?: { hostKey?: unknown } } }>(remoteCommandTypes, (props, _args, reportViolation) => {
    const connection = props.connection ?? {};
    const problem = hostKeyProblem(connection.hostKey);
    if (problem !== undefined) reportViolation(`the connection ${problem}. Fix: set connection.hostKey to the host's pinned key (HostKeyPin's hostKey).`);
    if (connection.proxy !== undefined && connection.proxy !== null) {
      const proxyProblem = hostKeyProblem(connection.proxy.hostKey);
      if (proxyProblem !== undefined) reportViolation(`the proxy connection ${proxyProblem}. Fix: set connection.proxy.hostKey to the proxy's pinned key.`);
    }
  }),
};

export const trustChainPolicies: MailPolicy[] = [dnssecForTlsa, tlsaMatchesCertificateKeys, caaAccountBinding, remoteCommandHostKey];
