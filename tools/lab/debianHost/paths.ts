import * as path from "node:path";

/** Root of everything the lab keeps between runs; PENGUINMAILS_LAB_CACHE moves it. */
export function cacheRoot(): string {
  return process.env.PENGUINMAILS_LAB_CACHE ?? "/var/cache/penguinmails-lab";
}

export function rootfsCacheDir(): string {
  return path.join(cacheRoot(), "rootfs");
}

/** Downloaded .debs, shared by all rootfs builds. */
export function debCacheDir(): string {
  return path.join(cacheRoot(), "debs");
}

/**
 * Per-run state (overlay layers, keys, state.json). On disk rather than in /run because the
 * overlay's upper layer receives everything the host writes, which can outgrow a tmpfs /run.
 */
export function runsDir(): string {
  return process.env.PENGUINMAILS_LAB_RUNS ?? "/var/tmp/penguinmails-lab/runs";
}

/** Serializes the choice of lab subnets between concurrent runs. */
export function networkLockPath(): string {
  return path.join(runsDir(), ".network.lock");
}
