/**
 * A new tenant's Pulumi.<stack>.yaml: the settings given, and the defaults that would move the
 * droplet if they ever changed (region, size) pinned. Secrets are never in it: the ACME DNS token
 * and the mailboxes' password hashes are set with `pulumi config set --secret`, which encrypts
 * them into this file.
 */

import { Document } from "yaml";
import { configNamespace, secretConfigKeys } from "../../tenant/tenantConfig";

export interface NewTenant {
  readonly stack: string;
  readonly domain: string;
  readonly region: string;
  readonly size: string;
  readonly cloudflareZoneId: string;
  readonly alertEmail: string;
  readonly adminCidrs: readonly string[];
  readonly deployCidrs: readonly string[];
  readonly adminSshPublicKeys: readonly string[];
  readonly mailboxes: readonly string[];
  readonly aliases: Readonly<Record<string, string>>;
  readonly dkimSelector: string;
}

/** The tenant's keys as the program reads them (no namespace), with the given secret values. */
export function rawTenantConfig(tenant: NewTenant, secrets: { readonly acmeDnsApiToken: unknown; readonly passwordHash: (address: string) => unknown }): Record<string, unknown> {
  return {
    domain: tenant.domain,
    region: tenant.region,
    size: tenant.size,
    cloudflareZoneId: tenant.cloudflareZoneId,
    alertEmail: tenant.alertEmail,
    adminCidrs: [...tenant.adminCidrs],
    ...(tenant.deployCidrs.length > 0 ? { deployCidrs: [...tenant.deployCidrs] } : {}),
    adminSshPublicKeys: [...tenant.adminSshPublicKeys],
    ...(tenant.mailboxes.length > 0 ? { mailboxes: tenant.mailboxes.map((address) => ({ address, passwordHash: secrets.passwordHash(address) })) } : {}),
    ...(Object.keys(tenant.aliases).length > 0 ? { aliases: { ...tenant.aliases } } : {}),
    dkim: { selectors: [tenant.dkimSelector], active: tenant.dkimSelector },
    [secretConfigKeys.acmeDnsApiToken]: secrets.acmeDnsApiToken,
  };
}

/** The YAML text; `secrets` puts stand-ins for what the operator sets later (for the offline check). */
export function stackFileText(tenant: NewTenant, secrets?: { readonly acmeDnsApiToken: unknown; readonly passwordHash: (address: string) => unknown }): string {
  const raw = rawTenantConfig(tenant, secrets ?? { acmeDnsApiToken: undefined, passwordHash: () => undefined });
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const withoutUnset = key === "mailboxes" && !secrets ? (value as { address: string }[]).map(({ address }) => ({ address })) : value;
    config[`${configNamespace}:${key}`] = withoutUnset;
  }
  const document = new Document({ config });
  document.commentBefore = [
    ` Tenant ${tenant.domain}, written by npm run tenant:new.`,
    " Its secrets are set with pulumi config set --secret (encrypted into this file), never written here:",
    ` ${configNamespace}:${secretConfigKeys.acmeDnsApiToken}${tenant.mailboxes.length > 0 ? " and each mailbox's passwordHash" : ""}; see the commands tenant:new printed.`,
  ].join("\n");
  return document.toString({ lineWidth: 0 });
}
