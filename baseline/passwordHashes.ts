/**
 * How mailbox passwords may be stored: the schemes Dovecot verifies, each with the smallest
 * parameters the baseline accepts. Weaker hashes fall to offline guessing when a backup or the
 * state leaks; a plain or legacy scheme is refused outright.
 */

/**
 * bcrypt's cost (log2 of its rounds): at least the product spec's 12, at most what the algorithm defines.
 * @source the product spec (bcrypt cost 12); OpenBSD bcrypt (cost 4 to 31)
 */
export const bcryptCostRange = { minimum: 12, maximum: 31 } as const;

/**
 * Argon2id settings OWASP counts as equivalent minimums (memory in KiB, passes, one lane): a hash
 * meets the baseline when it reaches both numbers of any one row.
 * @source OWASP Password Storage Cheat Sheet (Argon2id)
 */
export const argon2idMinimums: readonly { readonly memoryKiB: number; readonly passes: number }[] = [
  { memoryKiB: 47104, passes: 1 },
  { memoryKiB: 19456, passes: 2 },
  { memoryKiB: 12288, passes: 3 },
  { memoryKiB: 9216, passes: 4 },
  { memoryKiB: 7168, passes: 5 },
];

/**
 * SHA512-CRYPT's rounds (5000 when the hash names none): accepted for existing mailboxes, with a
 * notice to hash again with bcrypt or Argon2id, which resist GPU guessing far better.
 * @source the glibc crypt(3) SHA-crypt specification (default 5000 rounds); OWASP Password Storage Cheat Sheet
 */
export const sha512CryptMinimumRounds = 5000;
