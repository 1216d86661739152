import { createHash } from "node:crypto";
import { sshAllowedKeyTypes, sshRsaMinimumBits } from "./keys";

export interface SshPublicKey {
  readonly type: string;
  /** RSA modulus length; undefined for fixed-size key types. */
  readonly rsaBits?: number;
  readonly comment?: string;
  /** OpenSSH's SHA256 fingerprint, as `ssh-keygen -lf` prints it. */
  readonly sha256Fingerprint: string;
  /** `type base64`, without the comment: what DigitalOcean and authorized_keys need. */
  readonly canonical: string;
}

export type SshPublicKeyParseResult = { ok: true; key: SshPublicKey } | { ok: false; error: string };

function readSshString(blob: Buffer, offset: number): { value: Buffer; next: number } | undefined {
  if (offset + 4 > blob.length) return undefined;
  const length = blob.readUInt32BE(offset);
  const start = offset + 4;
  if (start + length > blob.length) return undefined;
  return { value: blob.subarray(start, start + length), next: start + length };
}

function bitLength(mpint: Buffer): number {
  let i = 0;
  while (i < mpint.length && mpint[i] === 0) i++;
  if (i === mpint.length) return 0;
  return (mpint.length - i - 1) * 8 + (32 - Math.clz32(mpint[i] ?? 0));
}

/** Parses one OpenSSH public key line (`ssh-ed25519 AAAA... comment`). */
export function parseSshPublicKey(line: string): SshPublicKeyParseResult {
  const parts = line.trim().split(/\s+/);
  const [type, data, ...commentParts] = parts;
  if (!type || !data) return { ok: false, error: "is not an OpenSSH public key line (expected \"<type> <base64> [comment]\")" };
  if (!sshAllowedKeyTypes.includes(type)) {
    const known = type.startsWith("ssh-") || type.startsWith("ecdsa-") || type.startsWith("sk-");
    return {
      ok: false,
      error: known
        ? `key type ${type} is not allowed; use ssh-ed25519, ECDSA, or RSA of at least ${sshRsaMinimumBits} bits`
        : `starts with "${type.slice(0, 30)}", not a key type (authorized_keys options are not accepted)`,
    };
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return { ok: false, error: "key data is not base64" };
  const blob = Buffer.from(data, "base64");
  const embedded = readSshString(blob, 0);
  if (!embedded || embedded.value.toString("latin1") !== type) {
    return { ok: false, error: `key data does not encode a ${type} key (truncated or mismatched type)` };
  }
  let rsaBits: number | undefined;
  if (type === "ssh-rsa") {
    const exponent = readSshString(blob, embedded.next);
    const modulus = exponent && readSshString(blob, exponent.next);
    if (!modulus) return { ok: false, error: "RSA key data is truncated" };
    rsaBits = bitLength(modulus.value);
    if (rsaBits < sshRsaMinimumBits) {
      return { ok: false, error: `RSA key is ${rsaBits} bits; at least ${sshRsaMinimumBits} are required (or use ssh-ed25519)` };
    }
  } else if (type === "ssh-ed25519") {
    const point = readSshString(blob, embedded.next);
    if (!point || point.value.length !== 32) return { ok: false, error: "ed25519 key data is not a 32-byte key" };
  }
  const sha256Fingerprint = "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
  const comment = commentParts.length > 0 ? commentParts.join(" ") : undefined;
  return { ok: true, key: { type, rsaBits, comment, sha256Fingerprint, canonical: `${type} ${data}` } };
}
