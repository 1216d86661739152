/** Names derived from the tenant domain, shared by the DNS records, the droplet and the host bundle. */

/** The droplet's name and the MX target: DigitalOcean derives the PTR record from the droplet name. */
export function mailHostname(domain: string): string {
  return `mail.${domain}`;
}

/** RFC 8461 fixes this name for the policy host. */
export function mtaStsHostname(domain: string): string {
  return `mta-sts.${domain}`;
}

/**
 * The DigitalOcean tag that binds the droplet to its firewall. Tags allow no dots; a dot becomes
 * an underscore, which no domain contains, so two domains never share a tag.
 */
export function tenantTag(domain: string): string {
  return `penguinmails-tenant-${domain.replace(/\./g, "_")}`;
}

/** Every resource of every tenant carries this tag, so an operator can list the fleet. */
export const fleetTag = "penguinmails-mail";

/** A Pulumi logical-name prefix: unique per tenant and readable in a preview. */
export function tenantResourcePrefix(domain: string): string {
  return domain.replace(/\./g, "-");
}
