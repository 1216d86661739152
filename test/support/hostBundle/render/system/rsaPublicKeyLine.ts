import { generateKeyPairSync } from "node:crypto";

/** An RSA-3072 public key in OpenSSH form, without a comment. */
export function rsaPublicKeyLine(): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  const jwk = publicKey.export({ format: "jwk" });
  const field = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  const mpint = (b64url: string) => {
    const raw = Buffer.from(b64url, "base64url");
    return field((raw[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
  };
  const blob = Buffer.concat([field(Buffer.from("ssh-rsa")), mpint(jwk.e ?? ""), mpint(jwk.n ?? "")]);
  return `ssh-rsa ${blob.toString("base64")}`;
}
