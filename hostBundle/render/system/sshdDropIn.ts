import {
  sshCiphers,
  sshHostKeyAlgorithms,
  sshKexAlgorithms,
  sshLoginGraceTimeSeconds,
  sshMacs,
  sshMaxAuthTries,
} from "../../../baseline/ssh";
import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";
import { sshAuthorizedKeysFileSetting } from "./sshAuthorizedKeys";

/**
 * The hardening settings of sshd, without a file header: cloud-init writes the same lines at first
 * boot (before any bundle exists), and the bundle's drop-in carries them under its header.
 */
export function renderSshdHardeningSettings(adminUser: string): string {
  return [
    "# Keys only: no passwords, no keyboard-interactive (PAM) prompts.",
    "PubkeyAuthentication yes",
    "AuthenticationMethods publickey",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitEmptyPasswords no",
    "# Root never logs in over SSH; the admin user has sudo.",
    "PermitRootLogin no",
    "# Only the tenant's admin account; any other name is refused before authentication.",
    `AllowUsers ${adminUser}`,
    "# Keys only from root's file for the account, which the bundle writes from the config: never",
    "# ~/.ssh/authorized_keys, where a login could leave a key that outlives its rotation.",
    `AuthorizedKeysFile ${sshAuthorizedKeysFileSetting}`,
    "# Tells each session which key it logged in with (SSH_USER_AUTH): the apply refuses new keys",
    "# that would no longer admit the key its own deploy runs under.",
    "ExposeAuthInfo yes",
    `MaxAuthTries ${sshMaxAuthTries}`,
    `LoginGraceTime ${sshLoginGraceTimeSeconds}`,
    "# Logs the fingerprint of the key behind each login: who logged in, not only which account.",
    "LogLevel VERBOSE",
    "# Modern algorithms only (OpenSSH 9.2): post-quantum hybrid and X25519 key exchange, AEAD ciphers.",
    `KexAlgorithms ${sshKexAlgorithms.join(",")}`,
    `Ciphers ${sshCiphers.join(",")}`,
    `MACs ${sshMacs.join(",")}`,
    `HostKeyAlgorithms ${sshHostKeyAlgorithms.join(",")}`,
    "# The host is administered over SSH, never used as a jump host, tunnel or display. DisableForwarding",
    "# covers every kind at once (X11, agent, TCP, streamlocal), including any added later; the",
    "# individual switches stay for readers and for tools that look for them.",
    "DisableForwarding yes",
    "X11Forwarding no",
    "AllowAgentForwarding no",
    "AllowTcpForwarding no",
    "PermitTunnel no",
    "",
  ].join("\n");
}

/** /etc/ssh/sshd_config.d/00-penguinmails.conf: read before Debian's own settings, so ours win. */
export function renderSshdDropIn(ctx: HostRenderContext): string {
  return renderFileHeader(ctx, hostLayout.sshdDropIn) + renderSshdHardeningSettings(ctx.config.adminUser);
}
