import { chmodSync, mkdtempSync, rmSync } from "node:fs";

/**
 * A scratch directory under /run: root-owned parents without the world-writable /tmp (below which
 * a daemon's key or map could be swapped by any user), and traversable (0755) by the daemons' own
 * users (postfix, dovecot, _rspamd).
 */
export function makeScratchDir(prefix: string): string {
  const dir = mkdtempSync(`/run/${prefix}-`);
  chmodSync(dir, 0o755);
  return dir;
}

export function removeScratchDir(dir: string): void {
  if (!dir.startsWith("/run/")) throw new Error(`refusing to remove ${dir}: not a scratch directory`);
  rmSync(dir, { recursive: true, force: true });
}
