/**
 * `mailto:` report URIs (RFC 6068) as DMARC `rua`/`ruf`, TLS-RPT `rua`, CAA `iodef` and the
 * tenant config carry them: exactly one address, no header fields.
 */

import { isHostname } from "./domainName";

export type ParsedMailto = { address: string; domain: string } | { error: string };

/** RFC 5322 atext: what a dot-atom local part may contain. */
const dotAtomPattern = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
const maximumLocalPartLength = 64;
const maximumAddressLength = 254;

function percentDecode(text: string): string | undefined {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) return undefined;
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function parseMailtoUri(uri: string): ParsedMailto {
  const scheme = /^mailto:/i.exec(uri);
  if (!scheme) return { error: `"${uri}" is not a mailto: URI` };
  const rest = uri.slice(scheme[0].length);
  if (/[^\x21-\x7e]/.test(rest)) {
    return { error: `"${uri}": a mailto: URI may contain only printable ASCII without spaces` };
  }
  if (rest.includes("?")) return { error: `"${uri}": header fields ("?...") are not allowed in a report address` };
  if (rest.includes("#")) return { error: `"${uri}": a fragment ("#...") is not allowed in a report address` };
  if (rest.includes(",")) return { error: `"${uri}": one address per URI; list several URIs instead` };
  const decoded = percentDecode(rest);
  if (decoded === undefined) return { error: `"${uri}": invalid percent-encoding` };
  const at = decoded.lastIndexOf("@");
  if (at === -1) return { error: `"${uri}": no "@" in the address` };
  const localPart = decoded.slice(0, at);
  const domain = decoded.slice(at + 1);
  if (localPart.length === 0) return { error: `"${uri}": the address has an empty local part` };
  if (!dotAtomPattern.test(localPart)) return { error: `"${uri}": local part "${localPart}" is not a valid dot-atom` };
  if (localPart.length > maximumLocalPartLength) {
    return { error: `"${uri}": local part is longer than ${maximumLocalPartLength} characters` };
  }
  if (!isHostname(domain)) return { error: `"${uri}": "${domain}" is not a valid mail domain` };
  const normalizedDomain = domain.replace(/\.$/, "").toLowerCase();
  const address = `${localPart}@${normalizedDomain}`;
  if (address.length > maximumAddressLength) {
    return { error: `"${uri}": the address is longer than ${maximumAddressLength} characters` };
  }
  return { address, domain: normalizedDomain };
}
