/**
 * Where mail to the tenant's addresses ends: every address the config names in the tenant domain
 * (alerts, report addresses, aliases) must end in a mailbox, so ban notices, DMARC and TLS reports
 * arrive and nothing is accepted only to bounce. The role addresses postmaster@, abuse@ and root@
 * (RFC 5321, RFC 2142, the host's own reports) and the default report addresses dmarc@ and
 * tlsrpt@ reach the alert address unless a mailbox or alias of that name exists.
 */

import { mailAddressDomain } from "../baseline/mailAddress";

/** Local parts that always exist in the tenant domain, delivered to alertEmail unless configured. */
export const roleLocalParts = ["postmaster", "abuse", "root", "dmarc", "tlsrpt"] as const;

export interface MailAlias {
  readonly address: string;
  readonly target: string;
}

export interface MailRoutingInput {
  readonly domain: string;
  readonly alertEmail: string;
  readonly mailboxes: readonly { readonly address: string }[];
  readonly aliases: readonly MailAlias[];
}

/** Where an address ends after following its aliases. */
export type Destination =
  | { readonly kind: "mailbox"; readonly mailbox: string }
  | { readonly kind: "external"; readonly address: string }
  | { readonly kind: "missing"; readonly address: string }
  | { readonly kind: "loop"; readonly through: readonly string[] };

export interface MailRouting {
  readonly mailboxes: readonly string[];
  /** Every alias Postfix needs: the configured ones, then the role addresses not configured. */
  readonly aliases: readonly (MailAlias & { readonly role: boolean })[];
  /** An address's destination, following explicit aliases, and role aliases unless `explicitOnly`. */
  resolve(address: string, options?: { readonly explicitOnly?: boolean }): Destination;
  /** The mailbox (SASL login) each tenant address belongs to: itself, or the one its aliases end in. */
  readonly owners: ReadonlyMap<string, string>;
}

export function mailRouting(input: MailRoutingInput): MailRouting {
  const mailboxes = input.mailboxes.map((m) => m.address);
  const explicit = new Map(input.aliases.map((a) => [a.address, a.target]));
  const roles = roleLocalParts
    .map((local) => `${local}@${input.domain}`)
    .filter((address) => !mailboxes.includes(address) && !explicit.has(address) && address !== input.alertEmail)
    .map((address) => ({ address, target: input.alertEmail, role: true }));
  const roleTargets = new Map(roles.map((r) => [r.address, r.target]));

  const resolve = (address: string, options: { explicitOnly?: boolean } = {}): Destination => {
    const seen: string[] = [];
    let current = address;
    for (;;) {
      if (seen.includes(current)) return { kind: "loop", through: [...seen, current] };
      seen.push(current);
      if (mailboxes.includes(current)) return { kind: "mailbox", mailbox: current };
      const next = explicit.get(current) ?? (options.explicitOnly ? undefined : roleTargets.get(current));
      if (next === undefined) return mailAddressDomain(current) === input.domain ? { kind: "missing", address: current } : { kind: "external", address: current };
      current = next;
    }
  };

  const aliases = [...input.aliases.map((a) => ({ ...a, role: false })), ...roles];
  const owners = new Map<string, string>(mailboxes.map((m) => [m, m]));
  for (const alias of aliases) {
    const destination = resolve(alias.address);
    if (destination.kind === "mailbox") owners.set(alias.address, destination.mailbox);
  }
  return { mailboxes, aliases, resolve, owners };
}

/** Why mail to an in-domain address the config names would be lost, or undefined when it arrives. */
export function lostMailProblem(routing: MailRouting, address: string, domain: string, options: { readonly explicitOnly?: boolean } = {}): string | undefined {
  if (mailAddressDomain(address) !== domain) return undefined;
  const destination = routing.resolve(address, options);
  switch (destination.kind) {
    case "mailbox":
    case "external":
      return undefined;
    case "loop":
      return `loops through the aliases ${destination.through.join(" -> ")} and never reaches a mailbox`;
    case "missing":
      return destination.address === address
        ? `is in ${domain} but is neither a mailbox nor an alias, so mail to it would be lost; add it to mailboxes or aliases`
        : `ends in ${destination.address}, which is neither a mailbox nor an alias, so mail to it would be lost`;
  }
}
