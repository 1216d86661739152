import { generateKeyPairSync } from "node:crypto";

/** A fresh Ed25519 public key in OpenSSH form (`ssh-ed25519 <base64>`), without a comment. */
export function ed25519PublicKeyLine(): string {
  const { publicKey } = generateKeyPairSync("ed25519");
  const point = Buffer.from(publicKey.export({ format: "jwk" }).x ?? "", "base64url");
  const field = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from("ssh-ed25519")), field(point)]).toString("base64")}`;
}
