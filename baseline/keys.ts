/** Minimum key strengths for every kind of key the stack creates or accepts. */

/**
 * The smallest RSA key a TLS private key may have.
 * @source NIST SP 800-57 Part 1 (112-bit security until 2030); Mozilla server-side TLS guidelines
 */
export const tlsRsaMinimumBits = 2048;
/**
 * The ECDSA curves a TLS private key may use.
 * @source NIST SP 800-186; Mozilla server-side TLS guidelines
 */
export const tlsAllowedEcdsaCurves: readonly string[] = ["P256", "P384", "P521"];
/**
 * `tls.PrivateKey` defaults an unset curve to P224, which is too weak: a policy treats an unset curve as this.
 * @source the tls provider's documentation (ecdsaCurve defaults to P224)
 */
export const tlsProviderDefaultEcdsaCurve = "P224";

/**
 * The smallest RSA key a DKIM record may publish.
 * @source RFC 8301 section 3.2 (verifiers must refuse keys under 1024 bits; signers use at least 2048)
 */
export const dkimRsaMinimumBits = 2048;
/**
 * The size our components generate: RFC 8301's floor; larger keys overflow some resolvers' TXT handling.
 * @source RFC 8301 section 3.2; M3AAWG DKIM key rotation best practices
 */
export const dkimRsaGeneratedBits = 2048;

/**
 * The spec rotates DKIM keys quarterly: a selector dated more than this many months ago is due.
 * @source the product spec (quarterly rotation); M3AAWG DKIM key rotation best practices
 */
export const dkimRotationMonths = 3;

/**
 * The smallest RSA key an admin may log in with over SSH.
 * @source NIST SP 800-57 Part 1 (128-bit security beyond 2030); BSI TR-02102-4
 */
export const sshRsaMinimumBits = 3072;
/**
 * SSH public key algorithms accepted for admin access; DSA is absent on purpose (1024-bit only).
 * @source OpenSSH 9.2 (DSA disabled by default since 7.0); BSI TR-02102-4
 */
export const sshAllowedKeyTypes: readonly string[] = [
  "ssh-ed25519",
  "sk-ssh-ed25519@openssh.com",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "ssh-rsa",
];
