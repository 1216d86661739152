import { mailRouting } from "../../../tenant/mailRouting";
import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/**
 * Postfix texthash tables (read as text: no postmap step) built from the tenant's mailboxes and
 * aliases. Every address in them passed the config's address grammar (tenant/), which has no
 * whitespace, `#` or `:`; the check below only stops a rendering bug, never user input.
 */
function table(ctx: HostRenderContext, path: string, heading: string, rows: readonly (readonly [string, string])[], empty: string): string {
  for (const [key, value] of rows) {
    if (!/^[a-z0-9._+-]+@[a-z0-9.-]+$/.test(key) || !/^[a-z0-9._+-]+@[a-z0-9.-]+$/.test(value)) throw new Error(`${path}: ${JSON.stringify(key)} -> ${JSON.stringify(value)} is not an address pair`);
  }
  return [renderFileHeader(ctx, path), heading, ...(rows.length > 0 ? rows.map(([key, value]) => `${key} ${value}`) : [empty]), ""].join("\n");
}

/** virtual_mailbox_maps: the tenant's mailboxes, the recipients Dovecot stores mail for. */
export function renderPostfixMailboxTable(ctx: HostRenderContext): string {
  const { mailboxes } = ctx.config;
  return table(ctx, hostLayout.postfixMailboxMap, "# mailbox  itself", mailboxes.map((m) => [m.address, m.address] as const), "# No mailboxes configured: every recipient in the tenant domain is refused.");
}

/** virtual_alias_maps: configured aliases, then the role addresses (postmaster@, abuse@, ...). */
export function renderPostfixAliasTable(ctx: HostRenderContext): string {
  const rows = mailRouting(ctx.config).aliases.map((alias) => [alias.address, alias.target] as const);
  return table(ctx, hostLayout.postfixAliasMap, "# alias  where it is delivered (the config guarantees it ends in a mailbox)", rows, "# No aliases.");
}

/**
 * smtpd_sender_login_maps: which SASL login owns each address, as envelope sender and (through
 * the signer's check) as header From: a mailbox owns itself and every alias that ends in it.
 */
export function renderPostfixSenderTable(ctx: HostRenderContext): string {
  const rows = [...mailRouting(ctx.config).owners].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return table(ctx, hostLayout.postfixSenderMap, "# address  the SASL login that may send as it", rows, "# No mailboxes configured: no login may send.");
}
