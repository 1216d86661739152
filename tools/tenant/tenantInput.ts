/**
 * The command line of `tenant:new` turned into the tenant's config, as the program reads it
 * (keys without the namespace): files read with bounds, each problem with a file or an option
 * named in one line. The config's own rules are the program's (parseTenantConfig), not these.
 */

import { readFileSync, statSync } from "node:fs";

/** A file or option `tenant:new` cannot use: one line, naming it. */
export class TenantInputError extends Error {
  override name = "TenantInputError";
}

/** A key file or a hash file holds a few lines; anything bigger is the wrong file. */
const maximumInputFileBytes = 256 * 1024;

function readInputFile(option: string, file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new TenantInputError(`${option} ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (size > maximumInputFileBytes) throw new TenantInputError(`${option} ${file}: is ${size} bytes, more than a file of this kind holds (${maximumInputFileBytes})`);
  return readFileSync(file, "utf8");
}

/** Lines with content: blank lines and `#` comments are skipped, as in authorized_keys. */
function contentLines(text: string): { line: string; number: number }[] {
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line !== "" && !line.startsWith("#"));
}

/** Every public key line of the files (authorized_keys format); the program checks each key. */
export function readAdminKeys(files: readonly string[]): string[] {
  const keys = files.flatMap((file) => {
    const lines = contentLines(readInputFile("--admin-key", file)).map(({ line }) => line);
    if (lines.length === 0) throw new TenantInputError(`--admin-key ${file}: holds no public key line`);
    return lines;
  });
  return [...new Set(keys)];
}

/**
 * Mailbox password hashes from a file of `address:hash` lines (what Dovecot's passwd-file holds,
 * and what `echo "$address:$(doveadm pw -s BLF-CRYPT -r 12)"` prints): one per --mailbox.
 * Nothing here ever sees a password.
 */
export function readMailboxHashes(file: string, mailboxes: readonly string[]): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const { line, number } of contentLines(readInputFile("--mailbox-hash-file", file))) {
    const colon = line.indexOf(":");
    if (colon <= 0 || colon === line.length - 1) throw new TenantInputError(`--mailbox-hash-file ${file} line ${number}: expected address:hash`);
    const address = line.slice(0, colon);
    if (hashes.has(address)) throw new TenantInputError(`--mailbox-hash-file ${file} line ${number}: a second hash for ${address}`);
    if (!mailboxes.includes(address)) throw new TenantInputError(`--mailbox-hash-file ${file} line ${number}: ${address} is not a --mailbox`);
    hashes.set(address, line.slice(colon + 1));
  }
  const missing = mailboxes.find((mailbox) => !hashes.has(mailbox));
  if (missing) throw new TenantInputError(`--mailbox ${missing}: no hash for it in --mailbox-hash-file ${file}`);
  return hashes;
}

/** `address=target` pairs. */
export function parseAliases(pairs: readonly string[]): Record<string, string> {
  const aliases: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0 || equals === pair.length - 1) throw new TenantInputError(`--alias ${JSON.stringify(pair.slice(0, 80))}: expected address=target`);
    const address = pair.slice(0, equals);
    if (address in aliases) throw new TenantInputError(`--alias ${address}: given twice`);
    aliases[address] = pair.slice(equals + 1);
  }
  return aliases;
}

/** The first selector of a new tenant: `pm` and the year and month, as the example stack names them. */
export function defaultDkimSelector(now: Date): string {
  return `pm${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
}
