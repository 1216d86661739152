import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { withFileLock } from "../net/fileLock";
import { run } from "../net/run";
import { debootstrapMirror, readBookwormSources, renderDeb822 } from "./aptSources";
import { normalizePackages } from "./packages";
import { debCacheDir, rootfsCacheDir } from "./paths";

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
 * What it mounts into the chroot vanishes with its mount namespace, even if the build is
 * killed. Downloaded .debs are kept in a shared directory, so a changed
 * package list or recipe downloads only what is new.
 */
const BUILD_SCRIPT = String.raw`
set -eu
exec >>"$LAB_BUILD_LOG" 2>&1
target=$1; mirror=$2; debs=$3; shift 3
phase() { echo "== $(date +%T) $*"; }

phase debootstrap
debootstrap --variant=minbase --cache-dir="$debs" bookworm "$target" "$mirror"

printf '#!/bin/sh\n# lab build: packages must not start services in the chroot\nexit 101\n' > "$target/usr/sbin/policy-rc.d"
chmod 755 "$target/usr/sbin/policy-rc.d"
mount -t proc proc "$target/proc"
mkdir -p "$target/dev/pts"
mount -t devpts -o newinstance devpts "$target/dev/pts"
mount --bind "$debs" "$target/var/cache/apt/archives"

phase apt-get install
rm -f "$target/etc/apt/sources.list"
printf '%s' "$LAB_APT_SOURCES" > "$target/etc/apt/sources.list.d/debian.sources"
echo "postfix postfix/main_mailer_type select No configuration" | chroot "$target" debconf-set-selections
chroot "$target" apt-get update
chroot "$target" apt-get install -y --no-install-recommends "$@"

phase finishing
# What cloud-init does on a droplet's first boot: an admin user with passwordless sudo,
# key-only SSH. Keys are added per run.
chroot "$target" useradd --create-home --shell /bin/bash --groups adm,sudo admin
printf 'admin ALL=(ALL) NOPASSWD:ALL\n' > "$target/etc/sudoers.d/90-cloud-init-users"
chmod 440 "$target/etc/sudoers.d/90-cloud-init-users"
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\n' > "$target/etc/ssh/sshd_config.d/50-cloud-init.conf"

# Identity is per run: host keys, machine id and hostname are written before each boot.
rm -f "$target"/etc/ssh/ssh_host_*
: > "$target/etc/machine-id"
# A droplet's resolv.conf: it names DigitalOcean's resolvers (the provider's network config puts them there).
# Unreachable from the lab (no default route): only the host bundle's own resolver answers.
printf 'nameserver 67.207.67.2\nnameserver 67.207.67.3\n' > "$target/etc/resolv.conf"

umount "$target/var/cache/apt/archives" "$target/dev/pts" "$target/proc"
# debootstrap leaves copies of the base .debs there; the shared cache has them.
rm -f "$target"/var/cache/apt/archives/*.deb
rm -f "$target/usr/sbin/policy-rc.d"
phase done
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
 * Concurrent callers wait for one build instead of running two; builds of different package
 * sets also take turns, since they share the .deb cache.
 */
export async function ensureRootfs(extraPackages: readonly string[], log: (line: string) => void = () => undefined): Promise<Rootfs> {
  const packages = normalizePackages(extraPackages);
  const hash = rootfsHash(packages);
  const dir = path.join(rootfsCacheDir(), hash);
  const ready = (buildSeconds: number): Rootfs => ({ path: dir, hash, packages, buildSeconds });
  if (fs.existsSync(dir)) return ready(0);

  return withFileLock(
    path.join(rootfsCacheDir(), ".build.lock"),
    async () => {
      if (fs.existsSync(dir)) return ready(0);
      const started = Date.now();
      log(`building Debian 12 rootfs ${hash} (${packages.length} packages) into ${dir}; log: ${dir}.log`);
      await build(dir, packages);
      const seconds = (Date.now() - started) / 1000;
      log(`rootfs ${hash} built in ${seconds.toFixed(1)} s`);
      return ready(seconds);
    },
    {
      timeoutMs: 60 * 60_000,
      onWait: () => log(`waiting for another process's rootfs build to finish before building or using ${hash}`),
    },
  );
}

async function build(dir: string, packages: string[]): Promise<void> {
  const sources = readBookwormSources();
  const mirror = debootstrapMirror(sources);
  // Only the lock holder gets here, so a leftover temp tree is from a build that was killed.
  const temp = path.join(path.dirname(dir), `.building-${path.basename(dir)}`);
  fs.rmSync(temp, { recursive: true, force: true });
  fs.mkdirSync(debCacheDir(), { recursive: true });
  const logPath = `${dir}.log`;
  fs.writeFileSync(logPath, "");
  // The build gets private mount and pid namespaces, and dies with this process: if it is
  // killed (a test timeout), no orphaned dpkg keeps writing into a tree the next build deletes.
  const result = await run(
    "setpriv",
    [
      "--pdeathsig",
      "SIGKILL",
      "--",
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "--pid",
      "--fork",
      "--kill-child",
      "--mount-proc",
      "--",
      "sh",
      "-c",
      BUILD_SCRIPT,
      "rootfs-build",
      temp,
      mirror,
      debCacheDir(),
      ...packages,
    ],
    {
      timeoutMs: 30 * 60_000,
      env: {
        PATH: SANE_PATH,
        LC_ALL: "C",
        DEBIAN_FRONTEND: "noninteractive",
        LAB_APT_SOURCES: renderDeb822(sources),
        LAB_BUILD_LOG: logPath,
      },
    },
  );
  if (result.code !== 0) {
    fs.rmSync(temp, { recursive: true, force: true });
    const output = `${fs.readFileSync(logPath, "utf8")}\n${result.stderr}`;
    const tail = output.trim().split("\n").slice(-20).join("\n");
    throw new Error(`building the Debian 12 rootfs failed (${result.timedOut ? "timed out" : `exit ${result.code}`}); full log ${logPath}:\n${tail}`);
  }
  fs.renameSync(temp, dir);
}
