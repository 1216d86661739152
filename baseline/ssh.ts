/** The SSH daemon's security settings: keys only, few tries, modern algorithms (OpenSSH 9.2, Debian 12). */

/**
 * Failed authentications per connection before sshd disconnects (the baseline's `MaxAuthTries 4`).
 * @source CIS Debian Linux 12 Benchmark 5.2.x (MaxAuthTries 4 or less)
 */
export const sshMaxAuthTries = 4;

/**
 * Seconds an unauthenticated connection may stay open (the baseline's `LoginGraceTime 60`).
 * @source CIS Debian Linux 12 Benchmark 5.2.x (LoginGraceTime 1 to 60 seconds)
 */
export const sshLoginGraceTimeSeconds = 60;

/**
 * Key exchange: the post-quantum hybrid first (OpenSSH 9.0's default), then X25519 under both of
 * its names so older clients still connect. No NIST-curve or finite-field Diffie-Hellman.
 * @source OpenSSH 9.0 release notes; ssh-audit's hardening guide for OpenSSH 9.2
 */
export const sshKexAlgorithms: readonly string[] = [
  "sntrup761x25519-sha512@openssh.com",
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
];

/**
 * AEAD ciphers only: no CBC, and no CTR modes that need a separate MAC.
 * @source ssh-audit's hardening guide for OpenSSH 9.2; BSI TR-02102-4
 */
export const sshCiphers: readonly string[] = [
  "chacha20-poly1305@openssh.com",
  "aes256-gcm@openssh.com",
  "aes128-gcm@openssh.com",
];

/**
 * Encrypt-then-MAC SHA-2 only (used only if a non-AEAD cipher were ever negotiated).
 * @source ssh-audit's hardening guide for OpenSSH 9.2
 */
export const sshMacs: readonly string[] = [
  "hmac-sha2-512-etm@openssh.com",
  "hmac-sha2-256-etm@openssh.com",
];

/**
 * Host key signatures: Ed25519, then RSA with SHA-2 (never SHA-1 `ssh-rsa`); no NIST curves.
 * @source RFC 8332; OpenSSH 8.8 (ssh-rsa SHA-1 signatures disabled); ssh-audit's hardening guide
 */
export const sshHostKeyAlgorithms: readonly string[] = [
  "ssh-ed25519",
  "rsa-sha2-512",
  "rsa-sha2-256",
];

/**
 * Account names the admin user may not take: Debian 12's own system accounts (base-passwd and the
 * packages of a droplet image) and those of the daemons the bundle installs. The admin user gets
 * passwordless sudo; giving that to a daemon's account would hand root to whoever controls it.
 * @source Debian base-passwd 3.6 (/usr/share/base-passwd/passwd.master); the packages of hostBundle/apply/serviceTable.ts
 */
export const reservedAccountNames: readonly string[] = [
  "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy", "www-data", "backup",
  "list", "irc", "gnats", "_gnats", "nobody", "nogroup", "_apt", "messagebus", "sshd", "polkitd", "tss", "uuidd", "tcpdump",
  "ntp", "ntpsec", "_chrony", "syslog", "dnsmasq", "landscape", "pollinate", "lxd", "usbmux", "avahi", "statd",
  "postfix", "postdrop", "postfw", "dovecot", "dovenull", "vmail", "opendkim", "_rspamd", "rspamd", "redis", "unbound",
  "nginx", "fail2ban", "knot", "pebble", "debian-exim", "Debian-exim", "_mta-sts", "mta-sts",
];

/**
 * Name patterns that belong to the system: systemd's dynamic users, Debian's `Debian-`/`debian-` accounts, `_` service accounts.
 * @source systemd.exec(5) DynamicUser; Debian Policy 9.2.1 (system account names)
 */
export const reservedAccountPatterns: readonly RegExp[] = [/^systemd-/, /^[Dd]ebian-/, /^_/];
