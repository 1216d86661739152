import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";

/** What `tls.PrivateKey` outputs, made offline from real key material of the requested kind. */
export interface MockPrivateKeyOutputs {
  privateKeyPem: string;
  privateKeyPemPkcs8: string;
  publicKeyPem: string;
  publicKeyOpenssh: string;
  publicKeyFingerprintMd5: string;
  publicKeyFingerprintSha256: string;
}

const ecdsaCurves: Record<string, { node: string; ssh: string }> = {
  P224: { node: "secp224r1", ssh: "" },
  P256: { node: "prime256v1", ssh: "nistp256" },
  P384: { node: "secp384r1", ssh: "nistp384" },
  P521: { node: "secp521r1", ssh: "nistp521" },
};

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
  const jwk = publicKey.export({ format: "jwk" });
  const b = (v?: string) => Buffer.from(v ?? "", "base64url");
  if (jwk.kty === "RSA") return Buffer.concat([sshString("ssh-rsa"), sshMpint(b(jwk.e)), sshMpint(b(jwk.n))]);
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return Buffer.concat([sshString("ssh-ed25519"), sshString(b(jwk.x))]);
  const curve = Object.values(ecdsaCurves).find((c) => c.ssh && jwk.crv === `P-${c.ssh.slice(5)}`);
  if (jwk.kty === "EC" && curve) {
    const point = Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]);
    return Buffer.concat([sshString(`ecdsa-sha2-${curve.ssh}`), sshString(curve.ssh), sshString(point)]);
  }
  return undefined;
}

// Generating RSA keys dominates a mock run's time, and a plan needs the shape of a key, not a
// fresh one: one key per algorithm and size serves every resource in the process.
const cache = new Map<string, MockPrivateKeyOutputs>();

export function mockPrivateKey(inputs: { algorithm?: string; rsaBits?: number; ecdsaCurve?: string }): MockPrivateKeyOutputs {
  const algorithm = (inputs.algorithm ?? "RSA").toUpperCase();
  const rsaBits = inputs.rsaBits ?? 2048;
  const curveName = inputs.ecdsaCurve ?? "P224";
  const cacheKey = `${algorithm}/${algorithm === "RSA" ? rsaBits : algorithm === "ECDSA" ? curveName : ""}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;

  let pair: { publicKey: KeyObject; privateKey: KeyObject };
  if (algorithm === "RSA") pair = generateKeyPairSync("rsa", { modulusLength: rsaBits });
  else if (algorithm === "ED25519") pair = generateKeyPairSync("ed25519");
  else if (algorithm === "ECDSA") {
    const curve = ecdsaCurves[curveName];
    if (!curve) throw new Error(`tls.PrivateKey: unknown ecdsaCurve ${curveName}`);
    pair = generateKeyPairSync("ec", { namedCurve: curve.node });
  } else throw new Error(`tls.PrivateKey: unknown algorithm ${algorithm}`);

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
