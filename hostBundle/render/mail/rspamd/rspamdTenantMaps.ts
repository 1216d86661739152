import { mailRouting } from "../../../../tenant/mailRouting";
import type { BundleFile } from "../../../bundleFile";
import { dkimPrivateKeyPath, hostLayout } from "../../../hostLayout";
import type { HostRenderContext } from "../../../renderContext";
import { withHeader } from "./rspamdFile";

const ADDRESS = /^[a-z0-9._+-]+@[a-z0-9.-]+$/;
const DOMAIN = /^[a-z0-9.-]+$/;
const SELECTOR = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * sender_login.map: `address login`, one line per tenant address: a mailbox owns itself and every
 * alias that ends in it (mailRouting's owners, the same rows as Postfix's smtpd_sender_login_maps).
 * rspamd.local.lua refuses a submission whose header From the login does not own. Every address
 * passed the config's address grammar; the check only stops a rendering bug.
 */
export function renderRspamdSenderMap(ctx: HostRenderContext): string {
  const rows = [...mailRouting(ctx.config).owners].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [address, login] of rows) {
    if (!ADDRESS.test(address) || !ADDRESS.test(login)) throw new Error(`${hostLayout.rspamdSenderMap}: ${JSON.stringify(address)} -> ${JSON.stringify(login)} is not an address pair`);
  }
  return withHeader(ctx, hostLayout.rspamdSenderMap, [
    "# address  the SASL login that may put it in From: (a login may always use its own address)",
    ...(rows.length > 0 ? rows.map(([address, login]) => `${address} ${login}`) : ["# No mailboxes configured: no login may send."]),
  ]);
}

/**
 * tenant_domains.map: `domain selector` for the tenant domain and its ACTIVE DKIM selector. The
 * policy treats the domain and its subdomains (mail.<domain>, the bounces' sender) as the
 * tenant's, and signs with <dkimKeyDir>/<selector>.key.
 */
export function renderRspamdTenantDomainMap(ctx: HostRenderContext): string {
  const { domain, dkim } = ctx.config;
  if (!dkim.selectors.includes(dkim.active)) throw new Error(`DKIM selector ${dkim.active} signs but is not published`);
  if (!DOMAIN.test(domain) || !SELECTOR.test(dkim.active)) throw new Error(`${hostLayout.rspamdTenantDomainMap}: ${JSON.stringify(domain)} ${JSON.stringify(dkim.active)} is not a domain and selector`);
  return withHeader(ctx, hostLayout.rspamdTenantDomainMap, [
    `# domain  the DKIM selector that signs it (key ${dkimPrivateKeyPath(dkim.active)}); the other`,
    "# published selectors' keys stay on disk for the rotation.",
    `${domain} ${dkim.active}`,
  ]);
}

export function rspamdTenantMapFiles(ctx: HostRenderContext): BundleFile[] {
  return [
    // The tenant's account names: for rspamd, not for every local user.
    { path: hostLayout.rspamdSenderMap, content: renderRspamdSenderMap(ctx), mode: 0o640, owner: "root", group: "_rspamd", service: "rspamd" },
    { path: hostLayout.rspamdTenantDomainMap, content: renderRspamdTenantDomainMap(ctx), mode: 0o640, owner: "root", group: "_rspamd", service: "rspamd" },
  ];
}

/**
 * One selector's private key as a bundle file: readable by rspamd only (0600 _rspamd, in a
 * directory of mode 0750 root:_rspamd). The bundle builder calls this for every published selector
 * with the key from the Pulumi secret, so a rotation finds the next key already in place.
 */
export function dkimKeyFile(selector: string, pem: string): BundleFile {
  if (!SELECTOR.test(selector)) throw new Error(`DKIM selector ${JSON.stringify(selector)} is not a DNS label`);
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) throw new Error(`DKIM key for selector ${selector} is not a PEM private key`);
  return {
    path: dkimPrivateKeyPath(selector),
    content: pem.endsWith("\n") ? pem : `${pem}\n`,
    mode: 0o600,
    owner: "_rspamd",
    group: "_rspamd",
    service: "rspamd",
    secret: true,
  };
}
