/** Minimum key strengths for every kind of key the stack creates or accepts. */

export const tlsRsaMinimumBits = 2048;
export const tlsAllowedEcdsaCurves: readonly string[] = ["P256", "P384", "P521"];
/** `tls.PrivateKey` defaults an unset curve to P224, which is too weak. */
export const tlsProviderDefaultEcdsaCurve = "P224";

export const dkimRsaMinimumBits = 2048;
/** The size our components generate: RFC 8301's floor; larger keys overflow some resolvers' TXT handling. */
export const dkimRsaGeneratedBits = 2048;

/** The spec rotates DKIM keys quarterly: a selector dated more than this many months ago is due. */
export const dkimRotationMonths = 3;

export const sshRsaMinimumBits = 3072;
/** SSH public key algorithms accepted for admin access; DSA is absent on purpose (1024-bit only). */
export const sshAllowedKeyTypes: readonly string[] = [
  "ssh-ed25519",
  "sk-ssh-ed25519@openssh.com",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "ssh-rsa",
];
