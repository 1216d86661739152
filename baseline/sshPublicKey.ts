/**
 * OpenSSH public keys as authorized_keys lines (`type base64 [comment]`), read strictly: the wire
 * format exactly (no trailing bytes, exact lengths), and the key itself checked by OpenSSL through
 * node:crypto (an RSA exponent that is a real exponent, an ECDSA point on its curve). sshpk and
 * ssh2, tried first, accept keys this must refuse: an ed25519 key of 31 bytes padded silently into
 * another key, trailing bytes, a second key swallowed as the comment, RSA exponents 0 and 1, and
 * ECDSA points off the curve; neither reads security-key (sk-) types.
 */

import { createHash, createPublicKey } from "node:crypto";
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

/**
 * The smallest public exponent accepted for an RSA key.
 * @source NIST SP 800-56B Rev. 2 section 6.2 (65537 <= e < 2^256); OpenSSL's default
 */
export const sshRsaMinimumExponent = 65537n;

const ecdsaCurves: Readonly<Record<string, { readonly name: string; readonly jwk: string; readonly coordinate: number }>> = {
  "ecdsa-sha2-nistp256": { name: "nistp256", jwk: "P-256", coordinate: 32 },
  "ecdsa-sha2-nistp384": { name: "nistp384", jwk: "P-384", coordinate: 48 },
  "ecdsa-sha2-nistp521": { name: "nistp521", jwk: "P-521", coordinate: 66 },
  "sk-ecdsa-sha2-nistp256@openssh.com": { name: "nistp256", jwk: "P-256", coordinate: 32 },
};

/** Reads the SSH wire format's length-prefixed fields and says when the blob holds anything else. */
class WireReader {
  private offset = 0;
  constructor(private readonly blob: Buffer) {}

  string(): Buffer | undefined {
    if (this.offset + 4 > this.blob.length) return undefined;
    const length = this.blob.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (start + length > this.blob.length) return undefined;
    this.offset = start + length;
    return this.blob.subarray(start, start + length);
  }

  get atEnd(): boolean {
    return this.offset === this.blob.length;
  }
}

const base64url = (bytes: Buffer): string => bytes.toString("base64url");

/** An SSH mpint as unsigned bytes without leading zeros; undefined when negative or badly padded. */
function unsignedMpint(mpint: Buffer): Buffer | undefined {
  if (mpint.length > 0 && (mpint[0]! & 0x80) !== 0) return undefined;
  if (mpint.length > 1 && mpint[0] === 0 && (mpint[1]! & 0x80) === 0) return undefined;
  return mpint[0] === 0 ? mpint.subarray(1) : mpint;
}

/** Checks one key blob of `type`; returns the RSA modulus size or an error. */
function checkKey(type: string, wire: WireReader): { rsaBits?: number } | { error: string } {
  if (type === "ssh-ed25519" || type === "sk-ssh-ed25519@openssh.com") {
    const point = wire.string();
    if (!point || point.length !== 32) return { error: `${type} key data is not a 32-byte key` };
    if (type.startsWith("sk-") && !wire.string()?.length) return { error: "security-key data has no application string" };
    if (!wire.atEnd) return { error: "key data has trailing bytes after the key" };
    try {
      createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: base64url(point) }, format: "jwk" });
    } catch {
      return { error: "is not a valid Ed25519 key" };
    }
    return {};
  }
  const curve = ecdsaCurves[type];
  if (curve) {
    const name = wire.string()?.toString("latin1");
    const point = wire.string();
    if (name !== curve.name) return { error: `key data names curve ${JSON.stringify(name)}, not ${curve.name}` };
    if (!point || point.length !== 1 + 2 * curve.coordinate || point[0] !== 0x04) {
      return { error: `the ECDSA point is not an uncompressed ${curve.name} point (${1 + 2 * curve.coordinate} bytes starting 04)` };
    }
    if (type.startsWith("sk-") && !wire.string()?.length) return { error: "security-key data has no application string" };
    if (!wire.atEnd) return { error: "key data has trailing bytes after the key" };
    const x = point.subarray(1, 1 + curve.coordinate);
    const y = point.subarray(1 + curve.coordinate);
    try {
      createPublicKey({ key: { kty: "EC", crv: curve.jwk, x: base64url(x), y: base64url(y) }, format: "jwk" });
    } catch {
      return { error: `the ECDSA point is not on the ${curve.name} curve` };
    }
    return {};
  }
  // ssh-rsa: exponent, then modulus.
  const exponent = wire.string();
  const modulus = wire.string();
  if (!exponent || !modulus) return { error: "RSA key data is truncated" };
  if (!wire.atEnd) return { error: "key data has trailing bytes after the key" };
  const e = unsignedMpint(exponent);
  const n = unsignedMpint(modulus);
  if (!e || !n) return { error: "RSA key data holds a malformed integer" };
  const exponentValue = e.length === 0 ? 0n : BigInt(`0x${e.toString("hex")}`);
  if (exponentValue < sshRsaMinimumExponent || exponentValue % 2n === 0n) {
    return { error: `RSA public exponent ${exponentValue} is not a valid exponent (an odd number of at least ${sshRsaMinimumExponent})` };
  }
  let bits: number;
  try {
    const key = createPublicKey({ key: { kty: "RSA", n: base64url(n), e: base64url(e) }, format: "jwk" });
    bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  } catch {
    return { error: "is not a valid RSA key" };
  }
  if (bits < sshRsaMinimumBits) return { error: `RSA key is ${bits} bits; at least ${sshRsaMinimumBits} are required (or use ssh-ed25519)` };
  return { rsaBits: bits };
}

/** Parses one OpenSSH public key line (`ssh-ed25519 AAAA... comment`). */
export function parseSshPublicKey(line: string): SshPublicKeyParseResult {
  if (/[\r\n\0]/.test(line)) return { ok: false, error: "holds a line break: give one key per list entry" };
  const parts = line.trim().split(/[ \t]+/);
  const [type, data, ...commentParts] = parts;
  if (!type || !data) return { ok: false, error: "is not an OpenSSH public key line (expected \"<type> <base64> [comment]\")" };
  if (!sshAllowedKeyTypes.includes(type)) {
    const known = type.startsWith("ssh-") || type.startsWith("ecdsa-") || type.startsWith("sk-");
    return {
      ok: false,
      error: known
        ? `key type ${type} is not allowed; use ssh-ed25519, ECDSA, or RSA of at least ${sshRsaMinimumBits} bits`
        : `starts with "${type.slice(0, 30).replace(/[^\x20-\x7e]/g, "?")}", not a key type (authorized_keys options are not accepted)`,
    };
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return { ok: false, error: "key data is not base64" };
  const blob = Buffer.from(data, "base64");
  if (blob.toString("base64").replace(/=+$/, "") !== data.replace(/=+$/, "")) return { ok: false, error: "key data is not canonical base64 (stray bits or padding)" };
  const wire = new WireReader(blob);
  const embedded = wire.string();
  if (!embedded || embedded.toString("latin1") !== type) {
    return { ok: false, error: `key data does not encode a ${type} key (truncated or mismatched type)` };
  }
  const checked = checkKey(type, wire);
  if ("error" in checked) return { ok: false, error: checked.error };
  const comment = commentParts.length > 0 ? commentParts.join(" ") : undefined;
  if (comment && sshAllowedKeyTypes.some((t) => commentParts.includes(t))) {
    return { ok: false, error: "holds a second key where the comment belongs: give one key per list entry" };
  }
  const sha256Fingerprint = "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
  return { ok: true, key: { type, rsaBits: checked.rsaBits, comment, sha256Fingerprint, canonical: `${type} ${data}` } };
}
