/** Host names as the email records use them (RFC 5321 `Domain`: letters, digits, hyphens). */

import { domainToASCII } from "node:url";

/**
 * The longest label of a domain name.
 * @source RFC 1035 section 2.3.4
 */
export const maximumDnsLabelLength = 63;
/**
 * The longest domain name, in presentation form without the root dot.
 * @source RFC 1035 section 2.3.4
 */
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

export interface DomainNormalization {
  readonly domain?: string;
  readonly errors: string[];
  /** Changes made on the way to the canonical form, each worth telling the operator. */
  readonly notices: string[];
}

/**
 * Canonical form of a mail domain: lowercase A-labels without a trailing dot.
 * Case and a trailing dot are normalised; Unicode becomes its punycode A-label; anything a
 * DNS zone could not hold is an error.
 */
export function normalizeMailDomain(input: string): DomainNormalization {
  const errors: string[] = [];
  const notices: string[] = [];
  if (input.length === 0) return { errors: ["is empty; expected a domain such as tenant-one.example"], notices };
  if (/\s/.test(input)) return { errors: [`"${input}" contains whitespace; a domain name cannot`], notices };

  let name = input;
  if (name.endsWith(".")) {
    name = name.slice(0, -1);
    notices.push(`trailing dot removed: "${input}" is used as "${name}"`);
  }
  if (name.length === 0 || name.startsWith(".") || name.includes("..")) {
    return { errors: [`"${input}" has an empty label`], notices };
  }
  const lower = name.toLowerCase();
  if (lower !== name && /^[\x00-\x7f]*$/.test(name)) notices.push(`uppercase letters lowered: "${name}" is used as "${lower}"`);

  let ascii = lower;
  if (!/^[\x00-\x7f]*$/.test(lower)) {
    ascii = domainToASCII(lower);
    if (ascii === "") return { errors: [`"${input}" is not a valid internationalized domain name`], notices };
    notices.push(`internationalized domain "${input}" is used as its A-label form "${ascii}"`);
  }

  const labels = ascii.split(".");
  if (labels.length < 2) errors.push(`"${input}" has a single label; a mail domain needs at least two (e.g. tenant-one.example)`);
  for (const label of labels) {
    if (label.length > maximumDnsLabelLength) {
      errors.push(`label "${label.slice(0, 20)}..." is ${label.length} characters, above the DNS maximum of ${maximumDnsLabelLength}`);
    } else if (label.startsWith("-") || label.endsWith("-")) {
      errors.push(`label "${label}" starts or ends with a hyphen`);
    } else if (!isDnsLabel(label)) {
      errors.push(`label "${label}" may contain only letters, digits and inner hyphens`);
    } else if (/^..--/.test(label) && !label.startsWith("xn--")) {
      errors.push(`label "${label}" has hyphens in the third and fourth positions, reserved for encoded labels`);
    }
  }
  const tld = labels[labels.length - 1] ?? "";
  if (/^[0-9]+$/.test(tld)) errors.push(`"${input}" ends in a numeric label; it looks like an IP address, not a domain`);
  // mail.<domain> and mta-sts.<domain> must fit as well, so leave room for the longer prefix.
  const longest = `mta-sts.${ascii}`.length;
  if (longest > maximumDomainNameLength) {
    errors.push(`"${input}" is too long: mta-sts.${ascii.slice(0, 10)}... would be ${longest} characters, above the DNS maximum of ${maximumDomainNameLength}`);
  }
  return errors.length > 0 ? { errors, notices } : { domain: ascii, errors, notices };
}
