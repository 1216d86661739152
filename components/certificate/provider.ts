/**
 * The dynamic provider behind AcmeCertificate. Pulumi serializes it by closure and runs it in
 * its dynamic provider host: everything it reaches `require()`s node and npm modules inside
 * functions, never at the top of a module.
 *
 * A renewal and a re-issue (new key, new names, another CA) are updates of the same resource: the
 * certificate in service is never revoked by them. Only delete (the tenant leaving) revokes.
 */

import type * as pulumi from "@pulumi/pulumi";
import type { IssuedCertificate } from "./certificateInfo";
import { createSolver } from "./dns/createSolver";
import { asCertificateInputs, checkCertificateInputs, isUnknown, type CertificateInputs } from "./inputs";
import { issueCertificate } from "./issue";
import { daysUntil, renewalDue } from "./renewal";
import { revokeCertificate } from "./revoke";

export type CertificateState = CertificateInputs & IssuedCertificate;

/** Inputs that change how the resource behaves, not the certificate it holds. */
const behaviourInputs = ["directoryCaPem", "accountKeyPem", "accountUri", "contactEmail", "renewBeforeDays", "solver", "propagation", "revokeOnDelete"] as const;
const issuedOutputs = ["certificatePem", "chainPem", "notBefore", "notAfter", "serial"] as const;

/**
 * Why the next update issues a new certificate, from the old state (or the old inputs with the
 * expiry a refresh put there) and the new inputs; undefined when the certificate stays.
 */
export function reissueReason(olds: Record<string, unknown>, news: Record<string, unknown>, now: Date): string | undefined {
  if (Object.keys(olds).length === 0) return undefined;
  const changed = (key: string) => isUnknown(news[key]) || canonicalJson(olds[key]) !== canonicalJson(news[key]);
  if (changed("privateKeyPem")) return "new key: the key set's current key changed (rollover or key type)";
  if (changed("domains")) return `names changed: ${describeNames(olds.domains)} -> ${describeNames(news.domains)}`;
  if (changed("keyType")) return `key type changed: ${String(olds.keyType)} -> ${String(news.keyType)}`;
  if (changed("directory")) return `CA changed: ${String(olds.directory)} -> ${String(news.directory)}`;
  const renewBeforeDays = typeof news.renewBeforeDays === "number" ? news.renewBeforeDays : Number(olds.renewBeforeDays);
  if (olds.notAfter !== undefined && renewalDue(olds.notAfter, renewBeforeDays, now)) {
    const left = typeof olds.notAfter === "string" ? daysUntil(olds.notAfter, now) : Number.NaN;
    return Number.isNaN(left)
      ? "renewal: the expiry date in the state cannot be read"
      : `renewal: expires ${String(olds.notAfter)}, ${Math.max(0, Math.floor(left))} days left (renews at ${renewBeforeDays} or fewer)`;
  }
  return undefined;
}

/** `clock` is for tests that step through renewals and rollovers. */
export function makeAcmeCertificateProvider(clock: () => Date = () => new Date()): pulumi.dynamic.ResourceProvider {
  return {
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
      const { inputs, failures } = checkCertificateInputs(news);
      // Old inputs carry an expiry only right after a refresh (read below); a preview then shows the renewal's reason.
      delete inputs.reissue;
      delete inputs.notAfter;
      const reason = failures.length === 0 ? reissueReason(olds, inputs, clock()) : undefined;
      if (reason !== undefined) inputs.reissue = reason;
      return { inputs, failures };
    },

    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const behaviour = behaviourInputs.filter((key) => canonicalJson(olds[key]) !== canonicalJson(news[key]));
      const reissue = reissueReason(olds, news, clock()) !== undefined;
      return { changes: reissue || behaviour.length > 0, replaces: [], deleteBeforeReplace: false };
    },

    async create(raw: Record<string, unknown>) {
      const inputs = asCertificateInputs(raw);
      const issued = await issue(inputs);
      return { id: issued.serial, outs: withoutProviderKey({ ...inputs, ...issued }) };
    },

    async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const inputs = asCertificateInputs(news);
      if (reissueReason(olds, news, clock()) === undefined) {
        const kept: Record<string, unknown> = {};
        for (const key of issuedOutputs) kept[key] = olds[key];
        return { outs: withoutProviderKey({ ...news, ...kept, privateKeyPem: olds.privateKeyPem }) };
      }
      // The certificate in service stays valid (and unrevoked) until the host serves the new one.
      const issued = await issue(inputs);
      return { outs: withoutProviderKey({ ...inputs, ...issued }) };
    },

    /** A refresh keeps the certificate and copies its expiry into the inputs, for check() to explain a renewal. */
    async read(id: string, props?: Record<string, unknown>) {
      const state = props ?? {};
      const inputs: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(state)) {
        if (!(issuedOutputs as readonly string[]).includes(key) && key !== "reissue") inputs[key] = value;
      }
      inputs.notAfter = state.notAfter;
      return { id, props: state, inputs };
    },

    async delete(_id: string, props: Record<string, unknown>) {
      const state = props as unknown as CertificateState;
      if (state.revokeOnDelete === false || typeof state.certificatePem !== "string") return;
      // An expired certificate needs no revocation, and CAs refuse to revoke one.
      if (Date.parse(state.notAfter) <= clock().getTime()) return;
      await revokeCertificate({
        directoryUrl: state.directory,
        ...(state.directoryCaPem ? { directoryCaPem: state.directoryCaPem } : {}),
        accountKeyPem: state.accountKeyPem,
        contactEmail: state.contactEmail,
        domains: state.domains,
        certificatePem: state.certificatePem,
      });
    },
  };
}

export const acmeCertificateProvider = makeAcmeCertificateProvider();

function issue(inputs: CertificateInputs): Promise<IssuedCertificate> {
  return issueCertificate(
    {
      directoryUrl: inputs.directory,
      ...(inputs.directoryCaPem ? { directoryCaPem: inputs.directoryCaPem } : {}),
      accountKeyPem: inputs.accountKeyPem,
      ...(inputs.accountUri ? { accountUri: inputs.accountUri } : {}),
      contactEmail: inputs.contactEmail,
      domains: inputs.domains,
      privateKeyPem: inputs.privateKeyPem,
      ...(inputs.propagation.nameservers ? { nameservers: inputs.propagation.nameservers } : {}),
      propagationTimeoutSeconds: inputs.propagation.timeoutSeconds,
    },
    createSolver(inputs.solver),
  );
}

function describeNames(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** Compares values as the engine stores them, whatever the order of object keys. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The host adds the serialized provider to every result itself. */
function withoutProviderKey<T extends object>(outs: T): T {
  const copy: Record<string, unknown> = { ...(outs as Record<string, unknown>) };
  delete copy.__provider;
  return copy as T;
}
