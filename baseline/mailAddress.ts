/**
 * The mail addresses a tenant config may name (alerts, mailboxes, aliases, report addresses). They
 * reach Postfix tables, Dovecot's passwd-file, fail2ban's ban action (a shell command line) and
 * DNS records, so only a conservative subset of RFC 5321 is accepted: a lowercase dot-atom of
 * letters, digits and `. _ + -`, no quoted local part, a host name as the domain. Everything a
 * shell, a table or a config parser treats specially (`$`, backticks, quotes, `=`, `{`, `%`,
 * `:`, whitespace) is outside the grammar, so no escaping is ever needed.
 */

import { isHostname } from "./dns/domainName";

/**
 * The longest local part an address may have.
 * @source RFC 5321 section 4.5.3.1.1
 */
export const maximumLocalPartLength = 64;

/**
 * The longest address (the forward-path limit of 256 octets less its angle brackets).
 * @source RFC 5321 section 4.5.3.1.3; RFC 3696 errata 1690
 */
export const maximumMailAddressLength = 254;

const localPartPattern = /^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*$/;

/** Why `address` is not a conservative mail address, or undefined when it is one. */
export function mailAddressProblem(address: string): string | undefined {
  const at = address.lastIndexOf("@");
  if (at < 0) return "is not an email address (no @)";
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (address.length > maximumMailAddressLength) return `is longer than ${maximumMailAddressLength} characters`;
  if (local.length === 0) return "has an empty local part";
  if (local.length > maximumLocalPartLength) return `has a local part longer than ${maximumLocalPartLength} characters`;
  if (!localPartPattern.test(local)) {
    return "must be a lowercase address whose local part has only letters, digits and . _ + - (no quotes, spaces or other symbols, no leading, trailing or double dots)";
  }
  if (domain !== domain.toLowerCase() || domain.endsWith(".") || !isHostname(domain)) return "must end in a lowercase host name such as example.com";
  return undefined;
}

export function isMailAddress(address: string): boolean {
  return mailAddressProblem(address) === undefined;
}

/** The domain part of an address that passed mailAddressProblem. */
export function mailAddressDomain(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1);
}
