/**
 * What an encrypted config value stands in as offline, where nothing can decrypt it. A secret set
 * whole (`pulumi config set --secret key`) is `[secret]`; one set inside a list or map
 * (`--secret --path 'mailboxes[0].passwordHash'`) must still pass the program's validation, so a
 * mailbox's password hash stands in as a well-formed bcrypt hash nobody knows the password of.
 * Each stand-in is derived from the ciphertext: setting the secret again shows as a change.
 */

import { createHash } from "node:crypto";

export const wholeSecretStandIn = "[secret]";

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `{BLF-CRYPT}$2y$12$` and 53 characters of bcrypt's alphabet, from the ciphertext. */
function standInPasswordHash(ciphertext: string): string {
  const digest = createHash("sha512").update(`penguinmails offline stand-in\0${ciphertext}`).digest();
  const characters = Array.from(digest.subarray(0, 53), (byte) => bcryptAlphabet[byte % 64]).join("");
  return `{BLF-CRYPT}$2y$12$${characters}`;
}

/** The stand-in for an encrypted value found at `path` inside a config value. */
export function nestedSecretStandIn(path: readonly (string | number)[], ciphertext: string): string {
  return path[path.length - 1] === "passwordHash" ? standInPasswordHash(ciphertext) : wholeSecretStandIn;
}
