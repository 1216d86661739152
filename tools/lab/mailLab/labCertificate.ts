/**
 * The tenant's certificate, issued for real: the AcmeCertificate provider's issue code
 * (components/certificate/issue.ts) orders it from the lab's Pebble with the planned names,
 * contact and keys, publishes each DNS-01 challenge in the lab's signed tenant zone, and Pebble
 * validates it through the lab resolver, as Let's Encrypt would through the internet's.
 */

import { generateKeyPairSync } from "node:crypto";
import { certificateKeyTypes, isCertificateKeyType, type CertificateKeySpec } from "../../../baseline/certificates";
import type { IssuedCertificate } from "../../../components/certificate/certificateInfo";
import type { Dns01Solver } from "../../../components/certificate/dns/solver";
import { issueCertificate } from "../../../components/certificate/issue";
import type { PebbleServer } from "../acme";
import type { LabDns } from "../dns";

export interface LabCertificate extends IssuedCertificate {
  /** Leaf then intermediates, as the host serves it. */
  readonly fullchainPem: string;
  /** The root it chains to: what the lab's clients trust. */
  readonly rootPem: string;
}

/**
 * The planned inputs with the lab's CA in place of the planned one. The planned certificate key is
 * used as planned (it is the one the planned TLSA records name); a plan without one gets a fresh
 * key of the planned type. The account is the lab's own.
 */
export async function issueLabCertificate(planned: Readonly<Record<string, unknown>>, pebble: PebbleServer, dns: LabDns, zone: string): Promise<LabCertificate> {
  const domains = planned.domains;
  if (!Array.isArray(domains) || domains.length === 0 || !domains.every((d) => typeof d === "string")) throw new Error("the planned AcmeCertificate has no domains");
  if (typeof planned.contactEmail !== "string") throw new Error("the planned AcmeCertificate has no contactEmail");
  const keyType = planned.keyType ?? "ecdsa-p256";
  if (!isCertificateKeyType(keyType)) throw new Error(`the planned AcmeCertificate's keyType ${String(keyType)} is not one the baseline knows`);
  const issued = await issueCertificate(
    {
      directoryUrl: pebble.directoryUrl,
      directoryCaPem: pebble.caPem,
      // A fresh account: the plan's mock keys are one key per algorithm, so its account key is its
      // certificate key, which a CA refuses ("CSR contains a public key for a known account").
      accountKeyPem: newKey({ algorithm: "ecdsa", curve: "P256" }),
      contactEmail: planned.contactEmail,
      domains,
      privateKeyPem: pemOr(planned.privateKeyPem, () => newKey(certificateKeyTypes[keyType])),
      nameservers: [dns.address.v4],
      propagationTimeoutSeconds: 30,
    },
    labDnsSolver(dns, zone),
  );
  return { ...issued, fullchainPem: `${issued.certificatePem}${issued.chainPem}`, rootPem: pebble.issuingRootPem };
}

/**
 * DNS-01 through the lab's knot: each challenge's TXT set written in the tenant zone with a knotc
 * transaction (the lab DNS takes no RFC 2136 updates), which knot signs on commit.
 */
export function labDnsSolver(dns: LabDns, zone: string): Dns01Solver {
  const published = new Map<string, Set<string>>();
  // knot takes one transaction per zone at a time: the writes of concurrent challenges queue up.
  let queue: Promise<unknown> = Promise.resolve();
  const write = (name: string): Promise<void> => {
    const next = queue.then(() => dns.setRecords(zone, `${name.replace(/\.$/, "")}.`, "TXT", [...(published.get(name) ?? [])].map((v) => JSON.stringify(v)), 5));
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    async publishTxt(name, value) {
      published.set(name, new Set([...(published.get(name) ?? []), value]));
      await write(name);
    },
    async removeTxt(name, value) {
      published.get(name)?.delete(value);
      await write(name);
    },
    async defaultNameservers() {
      return [dns.address.v4];
    },
  };
}

function pemOr(value: unknown, make: () => string): string {
  return typeof value === "string" && value.includes("-----BEGIN") ? value : make();
}

function newKey(spec: CertificateKeySpec): string {
  const pair =
    spec.algorithm === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: spec.bits })
      : generateKeyPairSync("ec", { namedCurve: spec.curve === "P256" ? "prime256v1" : "secp384r1" });
  return pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}
