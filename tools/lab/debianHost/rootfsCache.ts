import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { withFileLock } from "../net/fileLock";
import { run } from "../net/run";
import { debootstrapMirror, readBookwormSources, renderDeb822 } from "./aptSources";
import { normalizePackages } from "./packages";
import { rootfsCacheDir } from "./paths";

export interface Rootfs {
  /** Directory holding the pristine Debian 12 tree; never boot it directly. */
  path: string;
  hash: string;
  packages: string[];
  /** Seconds spent building, 0 when the cache already had it. */
  buildSeconds: number;
}

/**
 * The whole recipe. It is hashed together with the package list, so editing a single
 * character here gives a new cache entry instead of silently reusing an old tree.
 * Runs in a private mount namespace: the /proc mounted for the chroot vanishes with it,
 * even if the build is killed.
 */
const BUILD_SCRIPT = String.raw`
set -eu
target=$1; mirror=$2; shift 2
debootstrap --variant=minbase bookworm "$target" "$mirror"

printf '#!/bin/sh\n# lab build: packages must not start services in the chroot\nexit 101\n' > "$target/usr/sbin/policy-rc.d"
chmod 755 "$target/usr/sbin/policy-rc.d"
mount -t proc proc "$target/proc"
mkdir -p "$target/dev/pts"
mount -t devpts -o newinstance devpts "$target/dev/pts"

rm -f "$target/etc/apt/sources.list"
printf '%s' "$LAB_APT_SOURCES" > "$target/etc/apt/sources.list.d/debian.sources"
echo "postfix postfix/main_mailer_type select No configuration" | chroot "$target" debconf-set-selections
chroot "$target" apt-get update
chroot "$target" apt-get install -y --no-install-recommends "$@"
chroot "$target" apt-get clean

# What cloud-init does on a droplet's first boot: an admin user with passwordless sudo,
# key-only SSH. Keys are added per run.
chroot "$target" useradd --create-home --shell /bin/bash --groups adm,sudo admin
printf 'admin ALL=(ALL) NOPASSWD:ALL\n' > "$target/etc/sudoers.d/90-cloud-init-users"
chmod 440 "$target/etc/sudoers.d/90-cloud-init-users"
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\n' > "$target/etc/ssh/sshd_config.d/50-cloud-init.conf"

# Identity is per run: host keys, machine id and hostname are written before each boot.
rm -f "$target"/etc/ssh/ssh_host_*
: > "$target/etc/machine-id"
printf '# lab host: no resolver until the host configuration provides one\n' > "$target/etc/resolv.conf"

umount "$target/dev/pts" "$target/proc"
rm -f "$target/usr/sbin/policy-rc.d"
`;

const SANE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function rootfsHash(packages: readonly string[]): string {
  return createHash("sha256")
    .update(JSON.stringify({ script: BUILD_SCRIPT, packages, arch: process.arch }))
    .digest("hex")
    .slice(0, 16);
}

/**
 * Returns the cached Debian 12 rootfs for this package set, building it first if needed.
 * Concurrent callers wait for one build instead of running two.
 */
export async function ensureRootfs(extraPackages: readonly string[], log: (line: string) => void = () => undefined): Promise<Rootfs> {
  const packages = normalizePackages(extraPackages);
  const hash = rootfsHash(packages);
  const dir = path.join(rootfsCacheDir(), hash);
  const ready = (buildSeconds: number): Rootfs => ({ path: dir, hash, packages, buildSeconds });
  if (fs.existsSync(dir)) return ready(0);

  return withFileLock(
    `${dir}.lock`,
    async () => {
      if (fs.existsSync(dir)) return ready(0);
      const started = Date.now();
      log(`building Debian 12 rootfs ${hash} (${packages.length} packages) into ${dir}; log: ${dir}.log`);
      await build(dir, packages);
      const seconds = (Date.now() - started) / 1000;
      log(`rootfs ${hash} built in ${seconds.toFixed(1)} s`);
      return ready(seconds);
    },
    { onWait: () => log(`waiting for another process to finish building rootfs ${hash}`) },
  );
}

async function build(dir: string, packages: string[]): Promise<void> {
  const sources = readBookwormSources();
  const mirror = debootstrapMirror(sources);
  // Only the lock holder gets here, so a leftover temp tree is from a build that was killed.
  const temp = path.join(path.dirname(dir), `.building-${path.basename(dir)}`);
  fs.rmSync(temp, { recursive: true, force: true });
  const logPath = `${dir}.log`;
  const result = await run(
    "unshare",
    ["--mount", "--propagation", "private", "--", "sh", "-c", BUILD_SCRIPT, "rootfs-build", temp, mirror, ...packages],
    {
      timeoutMs: 30 * 60_000,
      env: {
        PATH: SANE_PATH,
        LC_ALL: "C",
        DEBIAN_FRONTEND: "noninteractive",
        LAB_APT_SOURCES: renderDeb822(sources),
      },
    },
  );
  fs.writeFileSync(logPath, `${result.stdout}\n--- stderr ---\n${result.stderr}`);
  if (result.code !== 0) {
    fs.rmSync(temp, { recursive: true, force: true });
    const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-20).join("\n");
    throw new Error(`building the Debian 12 rootfs failed (${result.timedOut ? "timed out" : `exit ${result.code}`}); full log ${logPath}:\n${tail}`);
  }
  fs.renameSync(temp, dir);
}
