/**
 * Mock outputs of the trust-chain resources (certificate key set, ACME account, host key pin,
 * Cloudflare's zone DNSSEC): deterministic stand-ins derived from the resource's name, so two plans
 * print the same thing, and shaped like the real outputs so the policies judge them.
 */

import { createECDH, createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { mockKeyMaterial } from "./mockKeyMaterial";
import { mockPrivateKey } from "./mockKeys";

type State = Record<string, unknown>;

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** A P-256 key derived from a seed: a scalar from its digest, the public point from ECDH. */
function derivedP256Key(seed: string): string {
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(digest(`p256/${seed}`));
  const point = ecdh.getPublicKey();
  const b64 = (bytes: Buffer) => bytes.toString("base64url");
  const jwk = { kty: "EC", crv: "P-256", d: b64(ecdh.getPrivateKey()), x: b64(point.subarray(1, 33)), y: b64(point.subarray(33, 65)) };
  return createPrivateKey({ key: jwk, format: "jwk" }).export({ type: "pkcs8", format: "pem" }).toString();
}

function spkiSha256(privateKeyPem: string): string {
  return createHash("sha256").update(createPublicKey(privateKeyPem).export({ type: "spki", format: "der" })).digest("hex");
}

const currentKeyFixture: Readonly<Record<string, string>> = {
  "ecdsa-p256": "ecdsa-P256",
  "ecdsa-p384": "ecdsa-P384",
  "rsa-2048": "rsa-2048",
  "rsa-3072": "rsa-3072",
  "rsa-4096": "rsa-4096",
};

/**
 * Generation 0 of a key set: the current key is the mock runtime's fixed key of its type (the one
 * the mock certificate carries), the next and spare keys P-256 keys derived from the name.
 */
export function mockCertificateKeySet(inputs: State, name: string): { id: string; state: State } {
  const keyType = String(inputs.keyType ?? "ecdsa-p256");
  const current = mockKeyMaterial[currentKeyFixture[keyType] ?? ""] ?? derivedP256Key(`${name}/0`);
  const privateKeyPems = [current, derivedP256Key(`${name}/1`), derivedP256Key(`${name}/2`)];
  const publicKeySha256s = privateKeyPems.map(spkiSha256);
  return {
    id: digest(`keyset/${name}`).toString("hex").slice(0, 32),
    state: {
      generation: 0,
      slotKeyTypes: [keyType, keyType, keyType],
      privateKeyPems,
      publicKeySha256s,
      currentSlot: 0,
      nextSlot: 1,
      retiredSlot: 2,
      currentPrivateKeyPem: current,
      currentKeyType: keyType,
      currentPublicKeySha256: publicKeySha256s[0],
      nextPublicKeySha256: publicKeySha256s[1],
    },
  };
}

const directoryAccountBases: Readonly<Record<string, string>> = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/acme/acct/",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/acme/acct/",
};

/** An account URL of the directory's shape with a number from the name. */
export function mockAcmeAccount(inputs: State, name: string): { id: string; state: State } {
  const directory = String(inputs.directory ?? "letsencrypt");
  const base = directoryAccountBases[directory] ?? `${new URL(directory).origin}/acme/acct/`;
  const accountUri = `${base}${100000000 + (digest(`account/${name}`).readUInt32BE(0) % 900000000)}`;
  return { id: accountUri, state: { accountUri } };
}

/** The mock runtime's ed25519 key, as ssh-keyscan would read it from the droplet. */
export function mockHostKeyPin(inputs: State): { id: string; state: State } {
  const hostKey = mockPrivateKey({ algorithm: "ED25519" }).publicKeyOpenssh.trim().split(/\s+/).slice(0, 2).join(" ");
  const fingerprint = "SHA256:" + createHash("sha256").update(Buffer.from(hostKey.split(" ")[1]!, "base64")).digest("base64").replace(/=+$/, "");
  return { id: `${String(inputs.hostId)}:${fingerprint}`, state: { port: 22, timeoutSeconds: 600, hostKey, fingerprint } };
}

/** Cloudflare's DNSSEC answer for a zone: an ECDSA P-256 (13) key signing key and its SHA-256 (2) DS. */
export function mockZoneDnssec(inputs: State): { id: string; state: State } {
  const zoneId = String(inputs.zoneId);
  const keyTag = digest(`dnssec/${zoneId}`).readUInt16BE(0);
  const dsDigest = digest(`ds/${zoneId}`).toString("hex").toUpperCase();
  return {
    id: zoneId,
    state: {
      status: "active",
      algorithm: "13",
      digestType: "2",
      digestAlgorithm: "SHA256",
      digest: dsDigest,
      keyTag,
      flags: 257,
      keyType: "ECDSAP256SHA256",
      publicKey: createPublicKey(derivedP256Key(`dnssec/${zoneId}`)).export({ format: "der", type: "spki" }).subarray(-64).toString("base64"),
      ds: `<zone>. 3600 IN DS ${keyTag} 13 2 ${dsDigest}`,
    },
  };
}
