import * as fs from "node:fs";
import * as path from "node:path";

/**
 * One cgroup per run, in every hierarchy systemd uses (cgroup2, and the v1 name=systemd one
 * on hybrid machines like this one).
 *
 * With --keep-unit, systemd-nspawn puts the container into "payload" and itself into
 * "supervisor" below the cgroup it was started in. Two runs started from the same cgroup
 * would share one "payload", and each container's systemd would then stop or kill the other's
 * services. Starting each nspawn in a cgroup of its own keeps them apart, and gives teardown
 * one place that holds every process of the run.
 */
export function runCgroupDirs(runName: string, mountInfo = fs.readFileSync("/proc/self/mountinfo", "utf8")): string[] {
  const dirs: string[] = [];
  for (const line of mountInfo.split("\n")) {
    const [before, after] = line.split(" - ");
    if (!before || !after) continue;
    const mountPoint = before.split(" ")[4];
    const [fsType, , superOptions = ""] = after.split(" ");
    const isUnified = fsType === "cgroup2";
    const isSystemdV1 = fsType === "cgroup" && superOptions.split(",").includes("name=systemd");
    if (mountPoint && (isUnified || isSystemdV1)) dirs.push(path.join(mountPoint, "penguinmails-lab", runName));
  }
  return dirs;
}

export function createCgroups(dirs: readonly string[]): void {
  for (const dir of dirs) fs.mkdirSync(dir, { recursive: true });
}

/** Every process in the run's cgroups, at any depth. */
export function cgroupPids(dirs: readonly string[]): number[] {
  const pids = new Set<number>();
  for (const dir of dirs) {
    for (const sub of subtree(dir)) {
      try {
        for (const p of fs.readFileSync(path.join(sub, "cgroup.procs"), "utf8").split("\n")) if (p) pids.add(Number(p));
      } catch {
        // removed while we looked
      }
    }
  }
  return [...pids];
}

export function killCgroups(dirs: readonly string[]): void {
  for (const dir of dirs) {
    // cgroup.kill (cgroup2) kills the whole subtree atomically, even processes forking right now.
    const killFile = path.join(dir, "cgroup.kill");
    try {
      if (fs.existsSync(killFile)) fs.writeFileSync(killFile, "1");
    } catch {
      // the cgroup went away meanwhile
    }
  }
  for (const p of cgroupPids(dirs)) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Removes the run's (empty) cgroups, deepest first, and the shared parent when it is unused. */
export function removeCgroups(dirs: readonly string[]): void {
  for (const dir of dirs) {
    for (const sub of subtree(dir).reverse()) {
      try {
        fs.rmdirSync(sub);
      } catch {
        // still busy: teardown reports what remains
      }
    }
    try {
      fs.rmdirSync(path.dirname(dir));
    } catch {
      // another run still uses it
    }
  }
}

/** dir and its descendant directories, parents before children. */
function subtree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out = [dir];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...subtree(path.join(dir, entry.name)));
  }
  return out;
}
