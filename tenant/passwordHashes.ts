/**
 * Mailbox password hashes as Dovecot reads them, checked against the baseline's parameters
 * (baseline/passwordHashes.ts): the scheme, then the numbers inside the hash.
 */

import { argon2idMinimums, bcryptCostRange, sha512CryptMinimumRounds } from "../baseline/passwordHashes";

export type PasswordHashVerdict = { readonly problem: string } | { readonly notice?: string };

const howToHash = "hash it with `doveadm pw -s BLF-CRYPT -r 12` (or ARGON2ID)";

export function judgePasswordHash(hash: string): PasswordHashVerdict {
  const bcrypt = /^\{BLF-CRYPT\}\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(hash);
  if (bcrypt) {
    const cost = Number(bcrypt[1]);
    if (cost < bcryptCostRange.minimum) return { problem: `bcrypt cost ${cost} is below ${bcryptCostRange.minimum}; ${howToHash}` };
    if (cost > bcryptCostRange.maximum) return { problem: `bcrypt cost ${cost} is above ${bcryptCostRange.maximum}, which bcrypt does not define; ${howToHash}` };
    return {};
  }
  const argon = /^\{ARGON2ID\}\$argon2id\$v=19\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{22,}$/.exec(hash);
  if (argon) {
    const [memoryKiB, passes, lanes] = [Number(argon[1]), Number(argon[2]), Number(argon[3])];
    if (lanes < 1) return { problem: "Argon2id needs at least one lane (p)" };
    if (!argon2idMinimums.some((row) => memoryKiB >= row.memoryKiB && passes >= row.passes)) {
      const rows = argon2idMinimums.map((row) => `m=${row.memoryKiB},t=${row.passes}`).join(" or ");
      return { problem: `Argon2id with m=${memoryKiB} KiB and t=${passes} is below OWASP's minimum (${rows}); ${howToHash}` };
    }
    return {};
  }
  const sha = /^\{SHA512-CRYPT\}\$6\$(?:rounds=(\d{1,10})\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{86}$/.exec(hash);
  if (sha) {
    const rounds = sha[1] === undefined ? sha512CryptMinimumRounds : Number(sha[1]);
    if (rounds < sha512CryptMinimumRounds) return { problem: `SHA512-CRYPT with ${rounds} rounds is below ${sha512CryptMinimumRounds}; ${howToHash}` };
    return { notice: `SHA512-CRYPT is accepted for an existing mailbox, but bcrypt or Argon2id resist guessing far better; ${howToHash} when the password next changes` };
  }
  if (/^\{[A-Z0-9.-]+\}/.test(hash)) return { problem: `the scheme ${hash.slice(0, hash.indexOf("}") + 1)} is not accepted, or its hash is malformed; ${howToHash}` };
  return { problem: `must be a Dovecot password hash ({BLF-CRYPT}, {ARGON2ID} or {SHA512-CRYPT}), never a plain password; ${howToHash}` };
}
