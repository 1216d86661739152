/**
 * SSH to the lab host the way the stack's command:remote connections reach a droplet: trusting only
 * the host key HostKeyPin recorded (a known_hosts built from the pin, StrictHostKeyChecking=yes),
 * never the key the lab generated for itself. A host presenting any other key is refused before a
 * byte of the bundle is sent.
 */

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CommandResult, DebianHost } from "./debianHost";
import { sshOptions } from "./debianHost/sshAccess";
import { run } from "./net/run";

/** What uploadAndApply needs of a connection: the DebianHost's own, or a pinned one. */
export interface HostTransport {
  ssh(command: string, opts?: { timeoutMs?: number }): Promise<CommandResult>;
  copyTo(localPath: string, remotePath: string): Promise<void>;
}

/** known_hosts lines for the host's addresses and one pinned key (`ssh-ed25519 <base64>`). */
export function knownHostsForPin(addresses: readonly string[], hostKey: string): string {
  if (!/^[a-z0-9@.-]+ [A-Za-z0-9+/]+=*$/.test(hostKey.trim())) throw new Error(`not a pinned host key ("<type> <base64>"): ${hostKey.slice(0, 40)}`);
  return `${addresses.join(",")} ${hostKey.trim()}\n`;
}

/** A transport to `host` as its admin user that trusts only `hostKey`; remove() deletes its known_hosts. */
export function pinnedTransport(host: DebianHost, hostKey: string): HostTransport & { remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-pin-"));
  const knownHosts = path.join(dir, "known_hosts");
  fs.writeFileSync(knownHosts, knownHostsForPin([host.address.v4, host.address.v6], hostKey), { mode: 0o600 });
  const options = sshOptions(host.sshPrivateKeyPath, knownHosts, host.rootInterface);
  const destination = `${host.adminUser}@${host.address.v4}`;
  return {
    async ssh(command, opts = {}) {
      const result = await run("ssh", [...options, destination, "--", command], { timeoutMs: opts.timeoutMs ?? 60_000 });
      return { code: result.code, stdout: result.stdout, stderr: result.stderr };
    },
    // No -q: when the host is refused, ssh's reason (Host key verification failed) is the error.
    async copyTo(localPath, remotePath) {
      const result = await run("scp", [...options, "-p", localPath, `${destination}:${remotePath}`], { timeoutMs: 60_000 });
      if (result.code !== 0) throw new Error(`copyTo ${localPath} -> ${remotePath} failed: ${result.stderr.trim() || `exit ${result.code}`}`);
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
