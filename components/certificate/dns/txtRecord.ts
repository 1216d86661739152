/** Names and values of DNS-01 challenge records. */

/** RFC 8555 section 8.4: the validation record of `domain` (a wildcard validates at its base name). */
export function challengeRecordName(domain: string): string {
  return `_acme-challenge.${domain.replace(/^\*\./, "")}`;
}

/** Key authorization digests are base64url: anything else must never reach a DNS update or an API call. */
export function assertChallengeValue(value: string): void {
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(value)) {
    throw new Error("a DNS-01 TXT value must be base64url text (the ACME key authorization digest)");
  }
}

/** A host name in presentation form without the trailing dot: LDH labels, underscores allowed for service labels. */
export function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => /^[a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(label));
}

/** Whether `name` is `zone` or lies below it. */
export function isInZone(name: string, zone: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  const z = zone.toLowerCase().replace(/\.$/, "");
  return n === z || n.endsWith(`.${z}`);
}
