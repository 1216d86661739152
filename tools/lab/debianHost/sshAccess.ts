import * as fs from "node:fs";
import * as path from "node:path";
import { runChecked } from "../net/run";

/** The operator's key for this run, like the ed25519 key a tenant stack gives the droplet. */
export async function generateClientKey(dir: string, comment: string): Promise<{ privateKeyPath: string; publicKey: string }> {
  const privateKeyPath = path.join(dir, "id_ed25519");
  await runChecked("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", privateKeyPath]);
  return { privateKeyPath, publicKey: fs.readFileSync(`${privateKeyPath}.pub`, "utf8").trim() };
}

/**
 * Fresh host keys per run, as a droplet generates on first boot, so ssh can check the host
 * key strictly against a known_hosts file written here instead of trusting on first use.
 */
export async function generateHostKeys(rootDir: string): Promise<string[]> {
  await runChecked("ssh-keygen", ["-q", "-A", "-f", rootDir]);
  const sshDir = path.join(rootDir, "etc/ssh");
  return fs
    .readdirSync(sshDir)
    .filter((f) => /^ssh_host_.*_key\.pub$/.test(f))
    .sort()
    .map((f) => fs.readFileSync(path.join(sshDir, f), "utf8").trim().split(/\s+/).slice(0, 2).join(" "));
}

export function knownHostsText(addresses: readonly string[], hostKeys: readonly string[]): string {
  return hostKeys.map((key) => `${addresses.join(",")} ${key}\n`).join("");
}

/** Installs a public key for a user of the host's tree, owned as sshd requires. */
export function authorizeKey(rootDir: string, home: string, uid: number, gid: number, publicKey: string): void {
  const sshDir = path.join(rootDir, home, ".ssh");
  fs.mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  const file = path.join(sshDir, "authorized_keys");
  fs.writeFileSync(file, `${publicKey}\n`, { mode: 0o600 });
  fs.chownSync(sshDir, uid, gid);
  fs.chownSync(file, uid, gid);
}

/** A user's uid, gid and home from the host tree's /etc/passwd. */
export function lookupUser(rootDir: string, user: string): { uid: number; gid: number; home: string } {
  for (const line of fs.readFileSync(path.join(rootDir, "etc/passwd"), "utf8").split("\n")) {
    const [name, , uid, gid, , home] = line.split(":");
    if (name === user && uid && gid && home) return { uid: Number(uid), gid: Number(gid), home };
  }
  throw new Error(`user ${user} does not exist in the lab rootfs`);
}

/**
 * Options for ssh and scp: only this run's key, only this run's known_hosts, no user or
 * system ssh_config, never a prompt. BindInterface pins the connection to the lab link: once
 * the lab is torn down the connect fails here instead of following the default route out.
 */
export function sshOptions(privateKeyPath: string, knownHostsPath: string, labInterface: string): string[] {
  return [
    "-o",
    `BindInterface=${labInterface}`,
    "-F",
    "/dev/null",
    "-i",
    privateKeyPath,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${knownHostsPath}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
  ];
}
