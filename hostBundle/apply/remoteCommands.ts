/**
 * The commands Pulumi runs on the host over SSH, shared by HostConfiguration and the lab tests
 * so that both reach the host the same way.
 */

/** Relative to the SSH user's home: SFTP (CopyToRemote) resolves relative paths there. */
export const uploadDir = ".penguinmails";
export const uploadPath = `${uploadDir}/host-bundle.sh`;

/**
 * Once per host, before the first upload: a directory only the SSH user can enter. The bundle
 * carries private keys, SFTP creates files 0644, and Debian's useradd (cloud-init's) leaves home
 * directories 0755. host-bundle.sh re-asserts the mode on every apply.
 */
export const prepareUploadCommand =
  // On a new droplet cloud-init is still upgrading packages: wait for first boot to finish so the
  // apply's apt and service restarts don't race it (a host without cloud-init returns at once).
  `{ command -v cloud-init >/dev/null && cloud-init status --wait >/dev/null || true; } && ` +
  `install -d -m 0700 "$HOME/${uploadDir}" && chmod 0700 "$HOME/${uploadDir}"`;

/**
 * Runs the uploaded bundle as root. The expected hash refuses a stale upload; the address this
 * SSH session comes from joins the sources the firewall check proves can still reach SSH, and the
 * key it logged in with (sshd's ExposeAuthInfo file) must stay among the authorized keys.
 */
export function applyCommand(bundleHash: string): string {
  if (!/^[0-9a-f]{64}$/.test(bundleHash)) throw new Error(`not a bundle hash: ${JSON.stringify(bundleHash)}`);
  return `sudo bash "$HOME/${uploadPath}" --expect-hash ${bundleHash} --deploy-source "\${SSH_CLIENT%% *}" --deploy-auth "\${SSH_USER_AUTH:-}"`;
}
