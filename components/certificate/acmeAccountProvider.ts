/**
 * The dynamic provider behind AcmeAccount: registers the account key with the CA once and keeps
 * the account's URL, which the CAA record binds issuance to (RFC 8657 accounturi).
 *
 * Delete does not deactivate the account: a deactivated account can never be used again, and a
 * replacement registered with the same key would get that same, dead, account back.
 */

import type * as pulumi from "@pulumi/pulumi";
import { openAcmeConnection } from "./acmeConnection";
import { resolveDirectoryUrl } from "./directories";
import { checkAccountKey, checkCaPem, isUnknown, type InputFailure } from "./inputs";
import { inStep } from "./problems";

export interface AccountInputs {
  readonly directory: string;
  readonly directoryCaPem?: string;
  readonly accountKeyPem: string;
  readonly contactEmail: string;
}

/** A change of CA or of key is another account, with another URL. */
const replacingInputs = ["directory", "accountKeyPem"] as const;
const updatableInputs = ["directoryCaPem", "contactEmail"] as const;

export function checkAccountInputs(raw: Record<string, unknown>): { inputs: Record<string, unknown>; failures: InputFailure[] } {
  const failures: InputFailure[] = [];
  const inputs: Record<string, unknown> = { ...raw };
  const field = (property: string, check: (value: unknown) => string | undefined, optional = false) => {
    const value = raw[property];
    if (value === undefined || value === null) {
      if (!optional) failures.push({ property, reason: "is required" });
      return;
    }
    if (isUnknown(value)) return;
    const problem = check(value);
    if (problem !== undefined) failures.push({ property, reason: problem });
  };
  field("directory", (v) => {
    const url = typeof v === "string" ? resolveDirectoryUrl(v) : undefined;
    if (url === undefined) return 'must be "letsencrypt", "letsencrypt-staging" or an https:// URL of an ACME directory';
    inputs.directory = url;
    return undefined;
  });
  field("directoryCaPem", checkCaPem, true);
  field("accountKeyPem", checkAccountKey);
  field("contactEmail", (v) =>
    typeof v === "string" && /^[^@\s<>,;:]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(v) ? undefined : "must be an email address such as hostmaster@example.com",
  );
  return { inputs, failures };
}

async function register(inputs: AccountInputs, accountUrl?: string): Promise<string> {
  const connection = openAcmeConnection({
    directoryUrl: inputs.directory,
    accountKeyPem: inputs.accountKeyPem,
    ...(inputs.directoryCaPem ? { directoryCaPem: inputs.directoryCaPem } : {}),
    ...(accountUrl ? { accountUrl } : {}),
  });
  try {
    const { client } = connection;
    return await inStep([inputs.directory], "registering the ACME account", async () => {
      const data = { termsOfServiceAgreed: true, contact: [`mailto:${inputs.contactEmail}`] };
      // With a known URL, acme-client's createAccount updates that account's contact instead.
      await client.createAccount(data);
      return client.getAccountUrl();
    });
  } finally {
    connection.close();
  }
}

export const acmeAccountProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkAccountInputs(news);
  },

  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces = replacingInputs.filter((key) => olds[key] !== news[key]);
    const updates = updatableInputs.filter((key) => (olds[key] ?? null) !== (news[key] ?? null));
    return { changes: replaces.length > 0 || updates.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(raw: Record<string, unknown>) {
    const inputs = raw as unknown as AccountInputs;
    const accountUri = await register(inputs);
    const outs: Record<string, unknown> = { ...raw, accountUri };
    delete outs.__provider;
    return { id: accountUri, outs };
  },

  async update(id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
    const accountUri = await register(news as unknown as AccountInputs, id);
    const outs: Record<string, unknown> = { ...news, accountUri };
    delete outs.__provider;
    return { outs };
  },
};
