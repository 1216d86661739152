import * as fs from "node:fs";
import * as path from "node:path";
import { sha256Hex } from "./bundleManifest";
import { bundleTree } from "./bundleTree";
import type { HostBundle } from "./hostBundle";

export interface WriteHostBundleOptions {
  /** Write private keys and password hashes too; otherwise each secret file holds a note instead. */
  readonly includeSecrets: boolean;
}

/** What stands in for a secret file's content when secrets are left out. */
export function secretPlaceholder(hostPath: string, content: string): string {
  return `# ${hostPath}: secret, not written here. It ships to the host only inside the bundle (sha256 ${sha256Hex(content)}).\n`;
}

/**
 * Writes the bundle's directory form (see bundleTree) into `dir`, so an operator sees exactly
 * what ships: `dir` must be missing, empty, or an earlier bundle written here (replaced whole).
 * Returns the relative paths written.
 */
export function writeHostBundle(bundle: HostBundle, dir: string, options: WriteHostBundleOptions): string[] {
  const root = path.resolve(dir);
  if (fs.existsSync(root)) {
    const entries = fs.readdirSync(root);
    const earlierBundle = entries.includes("manifest.json") && entries.includes("apply.sh");
    if (entries.length > 0 && !earlierBundle) throw new Error(`${root} is not empty and holds no earlier host bundle; refusing to write into it`);
    fs.rmSync(root, { recursive: true, force: true });
  }
  fs.mkdirSync(root, { recursive: true, mode: options.includeSecrets ? 0o700 : 0o755 });
  const written: string[] = [];
  for (const entry of bundleTree(bundle)) {
    const target = path.join(root, entry.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const content = entry.secret && !options.includeSecrets ? secretPlaceholder(entry.path.slice("files".length), entry.content) : entry.content;
    fs.writeFileSync(target, content, { mode: entry.mode });
    fs.chmodSync(target, entry.mode);
    written.push(entry.path);
  }
  return written;
}
