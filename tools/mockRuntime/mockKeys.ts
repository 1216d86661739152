import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mockKeyMaterial } from "./mockKeyMaterial";

/** What `tls.PrivateKey` outputs, made offline from real key material of the requested kind. */
export interface MockPrivateKeyOutputs {
  privateKeyPem: string;
  privateKeyPemPkcs8: string;
  publicKeyPem: string;
  publicKeyOpenssh: string;
  publicKeyFingerprintMd5: string;
  publicKeyFingerprintSha256: string;
}

/** OpenSSH's curve names; P224 has none (OpenSSH refuses it). */
const sshCurveNames: Record<string, string> = { P224: "", P256: "nistp256", P384: "nistp384", P521: "nistp521" };

function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function sshMpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const trimmed = unsigned.subarray(start);
  return sshString((trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function openSshBlob(publicKey: KeyObject): Buffer | undefined {
  // JWK has no P-224 (nor does OpenSSH): such a key simply has no OpenSSH form.
  if (publicKey.asymmetricKeyDetails?.namedCurve === "secp224r1") return undefined;
  const jwk = publicKey.export({ format: "jwk" });
  const b = (v?: string) => Buffer.from(v ?? "", "base64url");
  if (jwk.kty === "RSA") return Buffer.concat([sshString("ssh-rsa"), sshMpint(b(jwk.e)), sshMpint(b(jwk.n))]);
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return Buffer.concat([sshString("ssh-ed25519"), sshString(b(jwk.x))]);
  const sshCurve = jwk.crv ? sshCurveNames[jwk.crv.replace("-", "")] : undefined;
  if (jwk.kty === "EC" && sshCurve) {
    const point = Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]);
    return Buffer.concat([sshString(`ecdsa-sha2-${sshCurve}`), sshString(sshCurve), sshString(point)]);
  }
  return undefined;
}

// A plan needs the shape of a key, not a fresh one: fixed keys per algorithm and size keep plans
// deterministic and fast; other sizes (a weak key in a policy test) are generated once per process.
const cache = new Map<string, MockPrivateKeyOutputs>();

function keyPair(algorithm: string, rsaBits: number, curveName: string): { publicKey: KeyObject; privateKey: KeyObject } {
  const fixtureName = algorithm === "RSA" ? `rsa-${rsaBits}` : algorithm === "ECDSA" ? `ecdsa-${curveName}` : "ed25519";
  const fixture = mockKeyMaterial[fixtureName];
  if (fixture) {
    const privateKey = createPrivateKey(fixture);
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  if (algorithm === "RSA") return generateKeyPairSync("rsa", { modulusLength: rsaBits });
  throw new Error(`tls.PrivateKey: no mock key for ${algorithm} ${curveName}`);
}

export function mockPrivateKey(inputs: { algorithm?: string; rsaBits?: number; ecdsaCurve?: string }): MockPrivateKeyOutputs {
  const algorithm = (inputs.algorithm ?? "RSA").toUpperCase();
  const rsaBits = inputs.rsaBits ?? 2048;
  const curveName = inputs.ecdsaCurve ?? "P224";
  const cacheKey = `${algorithm}/${algorithm === "RSA" ? rsaBits : algorithm === "ECDSA" ? curveName : ""}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;

  if (!["RSA", "ECDSA", "ED25519"].includes(algorithm)) throw new Error(`tls.PrivateKey: unknown algorithm ${algorithm}`);
  if (algorithm === "ECDSA" && !(curveName in sshCurveNames)) throw new Error(`tls.PrivateKey: unknown ecdsaCurve ${curveName}`);
  const pair = keyPair(algorithm, rsaBits, curveName);

  const legacyType = algorithm === "RSA" ? "pkcs1" : algorithm === "ECDSA" ? "sec1" : "pkcs8";
  const blob = openSshBlob(pair.publicKey);
  const outputs: MockPrivateKeyOutputs = {
    privateKeyPem: pair.privateKey.export({ format: "pem", type: legacyType }).toString(),
    privateKeyPemPkcs8: pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: pair.publicKey.export({ format: "pem", type: "spki" }).toString(),
    publicKeyOpenssh: blob ? `${blob.subarray(4, 4 + blob.readUInt32BE(0)).toString("latin1")} ${blob.toString("base64")}\n` : "",
    publicKeyFingerprintMd5: blob ? (createHash("md5").update(blob).digest("hex").match(/../g) ?? []).join(":") : "",
    publicKeyFingerprintSha256: blob ? `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}` : "",
  };
  cache.set(cacheKey, outputs);
  return outputs;
}
