/** When a certificate is due for renewal. */

const dayMs = 24 * 60 * 60 * 1000;

export function daysUntil(isoDate: string, now: Date): number {
  return (Date.parse(isoDate) - now.getTime()) / dayMs;
}

/** Due when `renewBeforeDays` or fewer remain, or when the expiry date cannot be read. */
export function renewalDue(notAfter: unknown, renewBeforeDays: number, now: Date): boolean {
  if (typeof notAfter !== "string" || Number.isNaN(Date.parse(notAfter))) return true;
  return daysUntil(notAfter, now) <= renewBeforeDays;
}
