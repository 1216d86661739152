/** Host names as the email records use them (RFC 5321 `Domain`: letters, digits, hyphens). */

/** RFC 1035 2.3.4. */
export const maximumDnsLabelLength = 63;
/** RFC 1035 2.3.4, in presentation form without the root dot. */
export const maximumDomainNameLength = 253;

const dnsLabelPattern = new RegExp(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,${maximumDnsLabelLength - 2}}[A-Za-z0-9])?$`);

export function isDnsLabel(label: string): boolean {
  return dnsLabelPattern.test(label);
}

/** Lower case and without a trailing root dot, the form names are compared in. */
export function normalizeDomainName(name: string): string {
  return name.trim().replace(/\.$/, "").toLowerCase();
}

/**
 * A fully qualified host name: at least two labels, the last not all digits, so an IP address
 * or a bare single label is refused. A trailing root dot is accepted.
 */
export function isHostname(name: string): boolean {
  const bare = name.replace(/\.$/, "");
  if (bare.length === 0 || bare.length > maximumDomainNameLength) return false;
  const labels = bare.split(".");
  if (labels.length < 2 || !labels.every(isDnsLabel)) return false;
  return !/^\d+$/.test(labels[labels.length - 1]);
}

/** `name` is `domain` itself or a name below it. */
export function isSameOrSubdomain(name: string, domain: string): boolean {
  const candidate = normalizeDomainName(name);
  const parent = normalizeDomainName(domain);
  return candidate === parent || candidate.endsWith(`.${parent}`);
}
