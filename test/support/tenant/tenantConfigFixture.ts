/** A real hash of the password "test", made with `doveadm pw -s BLF-CRYPT -r 12 -p test`. */
export const samplePasswordHash = "{BLF-CRYPT}$2y$12$F3c02A/OaDjes/U0a4M9EuIiuWTmzN3VBfkBMiqRtE5TUYNi4xmBS";

/** A valid raw tenant config, as Pulumi hands it to the program; tests vary one key at a time. */
export const validEd25519Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPD3xfSLExoLTCvfdLB0qg3ltBZdzupkFrqpnNkcf1Nd ops@tenant-one.example";

export function validRawConfig(): Record<string, unknown> {
  return {
    domain: "tenant-one.example",
    cloudflareZoneId: "0123456789abcdef0123456789abcdef",
    alertEmail: "ops@tenant-one.example",
    adminCidrs: ["203.0.113.0/28", "2001:db8:1234::/48"],
    adminSshPublicKeys: [validEd25519Key],
    acmeDnsApiToken: "cf-token-for-tests",
    // The alert address, and through the role and report aliases every address the config names, ends here.
    mailboxes: [{ address: "ops@tenant-one.example", passwordHash: samplePasswordHash }],
  };
}
