/**
 * The dynamic provider behind AcmeCertificate. Pulumi serializes it by closure and runs it in
 * its dynamic provider host: everything it reaches `require()`s node and npm modules inside
 * functions, never at the top of a module.
 */

import type * as pulumi from "@pulumi/pulumi";
import type { IssuedCertificate } from "./certificateInfo";
import { createSolver } from "./dns/createSolver";
import { asCertificateInputs, checkCertificateInputs, type CertificateInputs } from "./inputs";
import { issueCertificate } from "./issue";
import { renewalDue } from "./renewal";
import { revokeCertificate } from "./revoke";

/** Inputs whose change needs a new certificate: a different CA, different names or a different key. */
const replacingInputs = ["directory", "domains", "keyType"] as const;
/** Inputs that change how the resource behaves, not the certificate it holds. */
const updatableInputs = ["directoryCaPem", "accountKeyPem", "contactEmail", "renewBeforeDays", "solver", "propagation", "revokeOnDelete"] as const;

export type CertificateState = CertificateInputs & IssuedCertificate;

export const acmeCertificateProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { inputs, failures } = checkCertificateInputs(news);
    return { inputs, failures };
  },

  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces: string[] = replacingInputs.filter((key) => !sameValue(olds[key], news[key]));
    const renewBeforeDays = typeof news.renewBeforeDays === "number" ? news.renewBeforeDays : Number(olds.renewBeforeDays);
    if (renewalDue(olds.notAfter, renewBeforeDays, new Date())) replaces.push("notAfter");
    const updates = updatableInputs.filter((key) => !sameValue(olds[key], news[key]));
    return { changes: replaces.length > 0 || updates.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(raw: Record<string, unknown>) {
    const inputs = asCertificateInputs(raw);
    const issued = await issueCertificate(
      {
        directoryUrl: inputs.directory,
        ...(inputs.directoryCaPem ? { directoryCaPem: inputs.directoryCaPem } : {}),
        accountKeyPem: inputs.accountKeyPem,
        contactEmail: inputs.contactEmail,
        domains: inputs.domains,
        keyType: inputs.keyType,
        ...(inputs.propagation.nameservers ? { nameservers: inputs.propagation.nameservers } : {}),
        propagationTimeoutSeconds: inputs.propagation.timeoutSeconds,
      },
      createSolver(inputs.solver),
    );
    const state: CertificateState = { ...inputs, ...issued };
    return { id: issued.serial, outs: withoutProviderKey(state) };
  },

  async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const kept: Record<string, unknown> = {};
    for (const key of ["certificatePem", "chainPem", "privateKeyPem", "notBefore", "notAfter", "serial"] as const) kept[key] = olds[key];
    return { outs: withoutProviderKey({ ...news, ...kept }) };
  },

  async delete(_id: string, props: Record<string, unknown>) {
    const state = props as unknown as CertificateState;
    if (state.revokeOnDelete === false || typeof state.certificatePem !== "string") return;
    // An expired certificate needs no revocation, and CAs refuse to revoke one.
    if (Date.parse(state.notAfter) <= Date.now()) return;
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

/** Compares values as the engine stores them, whatever the order of object keys. */
function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

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
