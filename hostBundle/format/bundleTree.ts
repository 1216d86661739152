import { sha256Hex } from "./bundleManifest";
import type { HostBundle } from "./hostBundle";

/** One file of the bundle's directory form, relative to its root. */
export interface BundleTreeEntry {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  readonly secret: boolean;
}

/**
 * The bundle as a directory: apply.sh, apply-settings.sh, the manifest in both forms, and each
 * host file under files/ at its host path. The upload and `plan --out` both use this layout,
 * and the apply script reads it.
 */
export function bundleTree(bundle: HostBundle): BundleTreeEntry[] {
  return [
    { path: "apply.sh", content: bundle.applyScript, mode: 0o755, secret: false },
    { path: "apply-settings.sh", content: bundle.applySettings, mode: 0o644, secret: false },
    { path: "manifest.json", content: bundle.manifestJson, mode: 0o644, secret: false },
    { path: "manifest.tsv", content: bundle.manifestTsv, mode: 0o644, secret: false },
    ...bundle.files.map((f) => ({ path: `files${f.path}`, content: f.content, mode: f.mode, secret: f.secret === true })),
  ];
}

/** What stands in for a secret file's content when a bundle is written for reading. */
export function secretPlaceholder(hostPath: string, content: string): string {
  return `# ${hostPath}: secret, not written here. It ships to the host only inside the bundle (sha256 ${sha256Hex(content)}).\n`;
}

/**
 * The directory form for a person to read (`plan --out`): every secret file (private keys,
 * password hashes) replaced by a note naming its hash, so the directory can be shared.
 */
export function readableBundleTree(bundle: HostBundle): BundleTreeEntry[] {
  return bundleTree(bundle).map((entry) => (entry.secret ? { ...entry, content: secretPlaceholder(entry.path.slice("files".length), entry.content) } : entry));
}
